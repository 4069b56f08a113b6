// Package citizen is a simulated town hall participant for the
// benchmarks: one browser with its own cookie jar.
package citizen

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"
)

// Citizen is one browser: its own cookie jar on a shared transport.
type Citizen struct{ c *http.Client }

// New returns a browser without cookies on tr.
func New(tr *http.Transport) *Citizen {
	jar, _ := cookiejar.New(nil)
	return &Citizen{c: &http.Client{Transport: tr, Jar: jar, Timeout: 60 * time.Second}}
}

// Post sends a JSON body and returns the status and the answer.
func (c *Citizen) Post(url, body string) (int, []byte, error) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// Ask asks a question in town hall th and returns its id.
func (c *Citizen) Ask(base, th, text string) (string, error) {
	st, b, err := c.Post(base+"/api/v1/townhalls/"+th+"/questions", `{"text":"`+text+`"}`)
	if err != nil {
		return "", err
	}
	if st != 201 {
		return "", fmt.Errorf("ask: %d %s", st, b)
	}
	var out struct{ ID string }
	return out.ID, json.Unmarshal(b, &out)
}

// Vote votes for question qid.
func (c *Citizen) Vote(base, qid string) error {
	st, b, err := c.Post(base+"/api/v1/questions/"+qid+"/votes", `{}`)
	if err != nil {
		return err
	}
	if st != 200 {
		return fmt.Errorf("vote: %d %s", st, b)
	}
	return nil
}

// Cookie fetches the town hall page, which gives the browser its
// participant cookie.
func (c *Citizen) Cookie(base, th string) error {
	resp, err := c.c.Get(base + "/townhalls/" + th)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("page: %d", resp.StatusCode)
	}
	return nil
}

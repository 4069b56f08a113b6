package townhall_test

import (
	"bufio"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/townhall"
	"github.com/inspraak/inspraak/app/webtest"
)

// TestStalledReaderIsCut: a viewer that stays connected but stops reading
// (its receive window closed) would hold the stream's goroutine and its
// subscription for ever once the buffers between are full; the server
// gives up on it within two heartbeats of its last write, while a viewer
// that reads keeps its stream.
func TestStalledReaderIsCut(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		e := webtest.NewEnv(t, gdb, func(c *config.Config) { c.LiveHeartbeat = 300 * time.Millisecond })
		_, _, _, id := setup(t, e, "post")
		base := serve(t, e)
		healthy := openSSE(t, base, "/api/v1/townhalls/"+id+"/events", nil)
		healthy.next(t, "ping", 2*time.Second)

		// The stalled viewer: a tiny receive buffer, headers read, then nothing.
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		}}
		conn, err := d.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte("GET /api/v1/townhalls/" + id + "/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		status, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil || !strings.Contains(status, "200") {
			t.Fatalf("stalled viewer: %q %v", status, err)
		}
		hub := e.Srv.Hub()
		deadline := time.Now().Add(5 * time.Second)
		for hub.Open() != 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := hub.Open(); n != 2 {
			t.Fatalf("%d open streams, want 2", n)
		}

		// Far more than the socket buffers hold: 12 MB of events.
		big := strings.Repeat("x", 60_000)
		for range 200 {
			if err := gdb.Transaction(func(tx *gorm.DB) error {
				_, err := hub.Emit(tx, townhall.Stream(id), "test.big", map[string]string{"text": big})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			hub.Wake(townhall.Stream(id))
		}
		go func() { // the healthy viewer reads everything
			for range healthy.ch {
			}
		}()
		start := time.Now()
		for hub.Open() != 1 && time.Since(start) < 15*time.Second {
			time.Sleep(50 * time.Millisecond)
		}
		if n := hub.Open(); n != 1 {
			t.Fatalf("%d open streams %s after the events, want the stalled one cut", n, time.Since(start).Round(time.Millisecond))
		}
		t.Logf("stalled viewer cut %s after the events were sent", time.Since(start).Round(time.Millisecond))
	})
}

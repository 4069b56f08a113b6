package live

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// SSE says how a stream is served.
type SSE struct {
	// Heartbeat is the time between two comment lines that keep proxies
	// from closing an idle connection and find dead clients (a write fails).
	Heartbeat time.Duration
	// Retry is the reconnection delay suggested to EventSource.
	Retry time.Duration
}

// LastEventID reads the Last-Event-ID header, or ?last_event_id= for
// EventSource polyfills and for pages that name the last event they show.
// ok is false when neither is a valid id.
func LastEventID(c *fiber.Ctx) (id int64, ok bool) {
	v := c.Get("Last-Event-ID")
	if v == "" {
		v = c.Query("last_event_id")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// Serve answers with the events of a stream as Server-Sent Events: first
// those after the client's Last-Event-ID (from the table), then every new
// one, until the client goes away or the hub closes.
func (h *Hub) Serve(c *fiber.Ctx, streamName string, o SSE) error {
	sub, err := h.Subscribe(c.UserContext(), streamName)
	if err != nil {
		if err == ErrClosed {
			return fiber.ErrServiceUnavailable
		}
		return err
	}
	last, replay := LastEventID(c)
	if !replay {
		last = sub.Start
	}
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache, no-store")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer sub.Close()
		if o.Retry > 0 {
			w.WriteString("retry: " + strconv.FormatInt(o.Retry.Milliseconds(), 10) + "\n\n")
		}
		// Replay what the client missed, in pages, up to where the
		// subscription started; later events come through the channel.
		for replay && last < sub.Start {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			evs, err := h.Since(ctx, streamName, last, 500)
			cancel()
			if err != nil || len(evs) == 0 {
				break
			}
			for _, ev := range evs {
				writeEvent(w, ev)
				last = ev.ID
			}
			if w.Flush() != nil {
				return
			}
		}
		if w.Flush() != nil {
			return
		}
		hb := o.Heartbeat
		if hb <= 0 {
			hb = 30 * time.Second
		}
		t := time.NewTicker(hb)
		defer t.Stop()
		for {
			select {
			case ev, ok := <-sub.C:
				if !ok {
					return
				}
				if ev.ID > last {
					writeEvent(w, ev)
					last = ev.ID
				}
				// Write whatever else is waiting, then flush once.
			more:
				for range 64 {
					select {
					case ev, ok := <-sub.C:
						if !ok {
							_ = w.Flush()
							return
						}
						if ev.ID > last {
							writeEvent(w, ev)
							last = ev.ID
						}
					default:
						break more
					}
				}
			case <-t.C:
				w.WriteString(": ping\n\n")
			}
			if w.Flush() != nil {
				return // the client is gone: the deferred Close unsubscribes
			}
		}
	})
	return nil
}

// writeEvent writes one event. Data is JSON on one line (the encoder
// escapes newlines inside strings), so one data: line suffices.
func writeEvent(w *bufio.Writer, ev Event) {
	w.WriteString("id: ")
	w.WriteString(strconv.FormatInt(ev.ID, 10))
	w.WriteString("\nevent: ")
	w.WriteString(ev.Type)
	w.WriteString("\ndata: ")
	w.Write(ev.Data)
	w.WriteString("\n\n")
}

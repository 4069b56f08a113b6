package live

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
)

// SSE says how a stream is served.
type SSE struct {
	// Heartbeat is the time between two comment lines that keep proxies
	// from closing an idle connection and find dead clients (a write fails).
	Heartbeat time.Duration
	// Retry is the reconnection delay suggested to EventSource.
	Retry time.Duration
	// FlushGap is the least time between two writes to one client while
	// events keep coming: an event after a quiet spell goes out at once;
	// events in a busy spell are gathered and sent together, so ten
	// thousand viewers cost a few writes a second each, not one per event.
	// Zero means DefaultFlushGap; negative, no gathering.
	FlushGap time.Duration
}

// EventReset tells a client that it is too far behind to be replayed: it
// should fetch the state again (the town hall page reloads).
const EventReset = "reset"

// DefaultFlushGap is the FlushGap when none is set: short enough that a
// burst of events reaches everyone well within a second.
const DefaultFlushGap = 250 * time.Millisecond

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
	// The stream outlives the handler: its log lines carry the request id
	// read now, while the request is still ours.
	rid, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	log := h.log
	if log != nil {
		log = log.With("id", strings.Clone(rid))
	}
	hb := o.Heartbeat
	if hb <= 0 {
		hb = 30 * time.Second
	}
	conn := c.Context().Conn()
	// A reconnecting EventSource opens a new connection anyway.
	c.Context().SetConnectionClose()
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		h.open.Add(1)
		defer h.open.Add(-1)
		defer sub.Close()
		// A client that stops taking bytes (a slow reader, or a peer gone
		// without a reset) would block a write for ever, and with it this
		// goroutine and its subscription: every write must be taken within
		// two heartbeats. The server has no WriteTimeout, which would cut
		// every stream after a fixed time, healthy or not.
		w := deadlineWriter{Writer: bw, conn: conn, within: 2 * hb}
		defer w.extend()
		if o.Retry > 0 {
			w.WriteString("retry: " + strconv.FormatInt(o.Retry.Milliseconds(), 10) + "\n\n")
		}
		// A client too far behind is not replayed for ever: it gets a reset
		// event (with the id where the live part starts) and fetches the
		// state again; the page reloads.
		if replay && last < sub.Start && h.MaxReplay > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			n, err := h.Behind(ctx, streamName, last, h.MaxReplay)
			cancel()
			if err != nil {
				log.Warn("live: count missed events", "stream", streamName, "err", err)
				_ = w.Flush()
				return // EventSource reconnects from the same id
			}
			if n > int64(h.MaxReplay) {
				writeEvent(w.Writer, Event{ID: sub.Start, Type: EventReset, Data: []byte("{}")})
				last, replay = sub.Start, false
			}
		}
		// Replay what the client missed, in pages, up to where the
		// subscription started; later events come through the channel.
		for replay && last < sub.Start {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			evs, err := h.Since(ctx, streamName, last, 500)
			cancel()
			if err != nil {
				// Going on would skip the events that were not read: end the
				// response, so EventSource reconnects from the same id.
				log.Warn("live: replay events", "stream", streamName, "err", err)
				_ = w.Flush()
				return
			}
			if len(evs) == 0 {
				break
			}
			for _, ev := range evs {
				writeEvent(w.Writer, ev)
				last = ev.ID
			}
			if w.Flush() != nil {
				return
			}
		}
		if w.Flush() != nil {
			return
		}
		gap := o.FlushGap
		if gap == 0 {
			gap = DefaultFlushGap
		}
		t := time.NewTicker(hb)
		defer t.Stop()
		// A client that hung up is found by a failed write, but not by the
		// first write after it left (the kernel takes it; the client's
		// reset comes back), and fasthttp copies the stream to the socket
		// through a pipe, so the writer sees a failed socket write only at
		// its next flush. Two short probes after each heartbeat find such
		// a client within one heartbeat instead of three.
		probeGap := min(hb/10, time.Second)
		probe := time.NewTimer(time.Hour)
		probe.Stop()
		defer probe.Stop()
		probes := 0
		// gather holds back a flush while events come faster than gap.
		gather := time.NewTimer(time.Hour)
		gather.Stop()
		defer gather.Stop()
		var lastFlush time.Time
		pending, waiting := false, false
		flush := func() bool {
			pending, lastFlush = false, time.Now()
			return w.Flush() == nil
		}
		for {
			select {
			case ev, ok := <-sub.C:
				if !ok {
					_ = w.Flush()
					return
				}
				if ev.ID > last {
					writeEvent(w.Writer, ev)
					last = ev.ID
					pending = true
				}
				if !pending || waiting {
					continue
				}
				if wait := gap - time.Since(lastFlush); gap > 0 && wait > 0 {
					gather.Reset(wait)
					waiting = true
					continue
				}
			case <-gather.C:
				waiting = false
				if !pending {
					continue
				}
			case <-t.C:
				w.WriteString(": ping\n\n")
				probes = 2
				probe.Reset(probeGap)
			case <-probe.C:
				w.WriteString(":\n\n")
				if probes--; probes > 0 {
					probe.Reset(probeGap)
				}
			}
			if !flush() {
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

// deadlineWriter sets the connection's write deadline before each flush.
type deadlineWriter struct {
	*bufio.Writer
	conn   net.Conn
	within time.Duration
}

func (w deadlineWriter) Flush() error {
	w.extend()
	return w.Writer.Flush()
}

// extend gives the bytes written so far their time to leave. Deferred when
// the writer returns, it covers the last ones (still on their way through
// fasthttp's pipe); the connection is closed after the stream, so no
// deadline outlives it.
func (w deadlineWriter) extend() {
	if w.conn != nil {
		_ = w.conn.SetWriteDeadline(time.Now().Add(w.within))
	}
}

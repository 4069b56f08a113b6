// Package live is the event hub behind live pages such as town halls.
//
// Every event is first written to the live_events table, inside the
// transaction of the change it reports, with an increasing id; only then is
// it announced. Subscribers never receive an event from the announcement
// itself: one reader per stream and instance (the pump) reads the new rows of
// its stream by id and hands them to every local subscriber. So the size
// limit of NOTIFY does not matter, an announcement that is lost only delays
// an event until the next one, and a client that reconnects with
// Last-Event-ID is replayed from the table.
//
// Announcements: on SQLite, in-process only (one instance). On PostgreSQL,
// pg_notify('inspraak_events', '<stream>:<id>') in the same transaction as
// the insert (so it is sent at commit, never for a rolled-back event), and
// one LISTEN connection per instance wakes the local pumps; it reconnects
// with backoff and, once listening again, wakes every pump to catch up.
//
// Ordering and gaps: ids come from a sequence, and two transactions may
// commit out of order (id 11 visible before id 10), which would make a
// reader that has seen 11 skip 10 for ever. Emit therefore takes a
// transaction-scoped advisory lock on the stream before it inserts, so the
// writers of one stream take turns: the next writer draws its id only after
// the previous one has committed (or rolled back), and the ids of one stream
// become visible strictly in order. Writers of different streams do not
// wait for each other, and readers only read their own stream. Emit must be
// the last write of its transaction, so the lock is held for a moment only
// and never while waiting for a row lock. On SQLite a write transaction holds
// the database lock from BEGIN, which gives the same order.
package live

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/inspraak/inspraak/models"
)

// Channel is the PostgreSQL notification channel of the hub.
const Channel = "inspraak_events"

// DefaultMaxReplay is the default Hub.MaxReplay.
const DefaultMaxReplay = 1000

// ErrClosed is returned by Subscribe once the hub is shutting down.
var ErrClosed = errors.New("live: hub closed")

// Event is one stored event.
type Event struct {
	ID        int64           `json:"id"`
	Stream    string          `json:"-"`
	Type      string          `json:"type"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}

// Hub fans events out to the subscribers of this instance.
type Hub struct {
	db  *gorm.DB
	pg  bool
	log *slog.Logger

	mu      sync.Mutex
	streams map[string]*stream
	closed  bool
	done    chan struct{}

	listenPID atomic.Int64
	// open counts the event streams being served by this instance, for the
	// operations metrics.
	open atomic.Int64
	// Buffer is the number of events a subscriber may lag behind before it
	// is dropped (its client reconnects and is replayed from the table).
	Buffer int
	// MaxReplay is the most events replayed to a reconnecting client; one
	// further behind gets a reset event instead (the page reloads, API
	// clients fetch the state again).
	MaxReplay int
}

type stream struct {
	name string
	wake chan struct{}
	stop chan struct{}

	mu   sync.Mutex
	subs map[*Sub]struct{}
	last int64 // the highest id handed to subscribers (or present at start)
}

// Sub is one subscription. C delivers events in id order; it is closed when
// the hub shuts down or the subscriber fell too far behind.
type Sub struct {
	C <-chan Event
	// Start is the last id of the stream at the moment of subscribing:
	// every later event comes through C.
	Start int64

	c      chan Event
	hub    *Hub
	st     *stream
	closed bool // guarded by st.mu
}

// New returns a hub on gdb.
func New(gdb *gorm.DB, log *slog.Logger) *Hub {
	return &Hub{db: gdb, pg: gdb.Dialector.Name() == "postgres", log: log, streams: map[string]*stream{}, done: make(chan struct{}), Buffer: 256, MaxReplay: DefaultMaxReplay}
}

// Emit stores an event in tx, which must be a transaction, and must be its
// last write (see the package comment). Call Wake(stream) after commit.
func (h *Hub) Emit(tx *gorm.DB, streamName, typ string, data any) (int64, error) {
	return h.EmitAbout(tx, streamName, "", typ, data)
}

// EmitAbout is Emit for an event about one subject (e.g. a question id), so
// that Redact can blank it out later. An empty subject is none.
func (h *Hub) EmitAbout(tx *gorm.DB, streamName, subject, typ string, data any) (int64, error) {
	payload, err := json.Marshal(data) // escapes <, > and &: HTML stays data
	if err != nil {
		return 0, err
	}
	if h.pg {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "live:"+streamName).Error; err != nil {
			return 0, err
		}
	}
	ev := models.LiveEvent{Stream: streamName, Type: typ, Payload: string(payload), CreatedAt: time.Now().UTC()}
	if subject != "" {
		ev.SubjectID = &subject
	}
	if err := tx.Create(&ev).Error; err != nil {
		return 0, err
	}
	if h.pg {
		if err := tx.Exec("SELECT pg_notify(?, ?)", Channel, streamName+":"+strconv.FormatInt(ev.ID, 10)).Error; err != nil {
			return 0, err
		}
	}
	return ev.ID, nil
}

// Redact blanks out, inside tx, the stored events of a stream about one
// subject: their payload becomes {"id": subject, "redacted": true}, so a
// replay no longer carries text that was hidden or rejected. Call it before
// Emit (Emit must stay the last write of the transaction).
func (h *Hub) Redact(tx *gorm.DB, streamName, subject string) error {
	payload, err := json.Marshal(map[string]any{"id": subject, "redacted": true})
	if err != nil {
		return err
	}
	return tx.Model(&models.LiveEvent{}).Where("stream = ? AND subject_id = ?", streamName, subject).Update("payload", string(payload)).Error
}

// Purge deletes the stored events of the given streams.
func (h *Hub) Purge(ctx context.Context, streams []string) (int64, error) {
	var n int64
	for start := 0; start < len(streams); start += 500 {
		res := h.db.WithContext(ctx).Where("stream IN ?", streams[start:min(start+500, len(streams))]).Delete(&models.LiveEvent{})
		if res.Error != nil {
			return n, res.Error
		}
		n += res.RowsAffected
	}
	return n, nil
}

// Behind counts the events of a stream after id, up to limit+1: more than
// limit means the client is too far behind for a replay.
func (h *Hub) Behind(ctx context.Context, streamName string, after int64, limit int) (int64, error) {
	var n int64
	err := h.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM (SELECT 1 FROM live_events WHERE stream = ? AND id > ? LIMIT ?) behind", streamName, after, limit+1).Scan(&n).Error
	return n, err
}

// Wake tells the pump of a stream to read new rows (no-op without local subscribers).
func (h *Hub) Wake(streamName string) {
	h.mu.Lock()
	st := h.streams[streamName]
	h.mu.Unlock()
	if st != nil {
		st.poke()
	}
}

// WakeAll wakes every pump, e.g. after the LISTEN connection came back.
func (h *Hub) WakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, st := range h.streams {
		st.poke()
	}
}

func (st *stream) poke() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// Since reads up to limit events of a stream after id, in order.
func (h *Hub) Since(ctx context.Context, streamName string, after int64, limit int) ([]Event, error) {
	var rows []models.LiveEvent
	err := h.db.WithContext(ctx).Where("stream = ? AND id > ?", streamName, after).Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = Event{ID: r.ID, Stream: r.Stream, Type: r.Type, Data: json.RawMessage(r.Payload), CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// LastID is the id of a stream's newest event (0 if none).
func (h *Hub) LastID(ctx context.Context, streamName string) (int64, error) {
	var n *int64
	err := h.db.WithContext(ctx).Model(&models.LiveEvent{}).Where("stream = ?", streamName).Select("MAX(id)").Scan(&n).Error
	if err != nil || n == nil {
		return 0, err
	}
	return *n, nil
}

// Subscribe starts a subscription to a stream. Close it when done.
func (h *Hub) Subscribe(ctx context.Context, streamName string) (*Sub, error) {
	c := make(chan Event, h.Buffer)
	s := &Sub{C: c, c: c, hub: h}
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, ErrClosed
		}
		// Streams are removed under h.mu only, so st stays ours while we join.
		if st := h.streams[streamName]; st != nil {
			s.join(st)
			h.mu.Unlock()
			return s, nil
		}
		h.mu.Unlock()
		// The first subscriber reads where the stream stands, outside the lock.
		last, err := h.LastID(ctx, streamName)
		if err != nil {
			return nil, err
		}
		h.mu.Lock()
		if !h.closed && h.streams[streamName] == nil {
			st := &stream{name: streamName, wake: make(chan struct{}, 1), stop: make(chan struct{}), subs: map[*Sub]struct{}{}, last: last}
			h.streams[streamName] = st
			s.join(st)
			h.mu.Unlock()
			go h.pump(st)
			// An event committed between LastID and the registration of the
			// stream woke nobody: let the pump look once at once.
			st.poke()
			return s, nil
		}
		h.mu.Unlock() // closed, or another subscriber made the stream: try again
	}
}

func (s *Sub) join(st *stream) {
	st.mu.Lock()
	s.st = st
	s.Start = st.last
	st.subs[s] = struct{}{}
	st.mu.Unlock()
}

// Close ends the subscription.
func (s *Sub) Close() {
	h, st := s.hub, s.st
	h.mu.Lock()
	defer h.mu.Unlock()
	st.mu.Lock()
	if !s.closed {
		s.closed = true
		delete(st.subs, s)
		close(s.c)
	}
	empty := len(st.subs) == 0
	st.mu.Unlock()
	if empty && h.streams[st.name] == st {
		delete(h.streams, st.name)
		close(st.stop)
	}
}

// Open counts the event streams (SSE connections) this instance is
// serving, over all streams.
func (h *Hub) Open() int64 { return h.open.Load() }

// Subscribers counts the local subscribers of a stream.
func (h *Hub) Subscribers(streamName string) int {
	h.mu.Lock()
	st := h.streams[streamName]
	h.mu.Unlock()
	if st == nil {
		return 0
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.subs)
}

// pump reads a stream's new rows whenever it is woken and hands them to
// the subscribers. A subscriber whose buffer is full is dropped.
func (h *Hub) pump(st *stream) {
	// A slow safety poll: an announcement lost while the LISTEN connection
	// was down is caught up here at the latest.
	poll := time.NewTicker(5 * time.Second)
	defer poll.Stop()
	for {
		select {
		case <-st.wake:
		case <-poll.C:
		case <-st.stop:
			return
		case <-h.done:
			return
		}
		for {
			st.mu.Lock()
			after := st.last
			st.mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			evs, err := h.Since(ctx, st.name, after, 500)
			cancel()
			if err != nil {
				h.log.Warn("live: read events", "stream", st.name, "err", err)
				select {
				case <-time.After(time.Second):
					st.poke()
				case <-st.stop:
					return
				case <-h.done:
					return
				}
				break
			}
			if len(evs) == 0 {
				break
			}
			st.mu.Lock()
			for _, ev := range evs {
				if ev.ID <= st.last {
					continue
				}
				for s := range st.subs {
					select {
					case s.c <- ev:
					default: // too far behind: drop; the client reconnects and replays
						s.closed = true
						delete(st.subs, s)
						close(s.c)
					}
				}
				st.last = ev.ID
			}
			st.mu.Unlock()
			if len(evs) < 500 {
				break
			}
		}
	}
}

// Close ends every subscription (so streaming responses finish and a
// graceful shutdown can complete) and refuses new ones.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	close(h.done)
	for name, st := range h.streams {
		st.mu.Lock()
		for s := range st.subs {
			s.closed = true
			delete(st.subs, s)
			close(s.c)
		}
		st.mu.Unlock()
		delete(h.streams, name)
	}
}

// ListenerPID is the backend pid of the LISTEN connection (0 when not
// listening); tests use it to cut the connection.
func (h *Hub) ListenerPID() int64 { return h.listenPID.Load() }

// Run keeps the LISTEN connection (PostgreSQL only) until ctx ends,
// reconnecting with backoff from 100 ms to 10 s. It does not block shutdown:
// cancelling ctx interrupts the wait at once.
func (h *Hub) Run(ctx context.Context) {
	if !h.pg {
		return
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		started := time.Now()
		err := h.listen(ctx)
		h.listenPID.Store(0)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = 100 * time.Millisecond
		}
		h.log.Warn("live: LISTEN connection lost; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// listen takes a connection out of the pool for LISTEN. It never goes back
// to the pool (pgx would buffer notifications on it for ever): the Raw
// callback always ends with an error wrapping driver.ErrBadConn, which makes
// database/sql discard the connection instead of returning it.
func (h *Hub) listen(ctx context.Context) error {
	sqlDB, err := h.db.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		err := h.listenOn(ctx, dc)
		return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
	})
}

func (h *Hub) listenOn(ctx context.Context, dc any) error {
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		return fmt.Errorf("live: unexpected driver connection %T", dc)
	}
	pc := sc.Conn()
	if _, err := pc.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	h.listenPID.Store(int64(pc.PgConn().PID()))
	h.WakeAll() // catch up on whatever was announced while we were away
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if i := strings.LastIndexByte(n.Payload, ':'); i > 0 {
			h.Wake(n.Payload[:i])
		}
	}
}

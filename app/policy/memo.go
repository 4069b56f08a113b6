package policy

import (
	"context"
	"sync"
)

// A Memo keeps what resolving cited figures computed for the length of one
// request or one publication, so that a survey cited by ten decisions, in
// three languages, is computed once: the Store keeps each figure in it by
// kind, ref and language, and the resolver (app/web) each survey's results.
// Within one request every figure is then also read at the same moment.
type Memo struct {
	mu   sync.Mutex
	vals map[any]memoEntry
}

type memoEntry struct {
	v   any
	err error
}

type memoKey struct{}

// WithMemo returns ctx with a Memo (ctx itself when it has one already).
func WithMemo(ctx context.Context) context.Context {
	if MemoFrom(ctx) != nil {
		return ctx
	}
	return context.WithValue(ctx, memoKey{}, &Memo{vals: map[any]memoEntry{}})
}

// MemoFrom is ctx's Memo, or nil.
func MemoFrom(ctx context.Context) *Memo {
	m, _ := ctx.Value(memoKey{}).(*Memo)
	return m
}

// Do returns what f returned the first time it was called for key (errors
// too); a nil Memo calls f every time.
func (m *Memo) Do(key any, f func() (any, error)) (any, error) {
	if m == nil {
		return f()
	}
	m.mu.Lock()
	e, ok := m.vals[key]
	m.mu.Unlock()
	if ok {
		return e.v, e.err
	}
	v, err := f()
	m.mu.Lock()
	m.vals[key] = memoEntry{v, err}
	m.mu.Unlock()
	return v, err
}

// Len is how many values the Memo holds.
func (m *Memo) Len() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.vals)
}

type figureKey struct{ kind, ref, lang string }

// figure resolves a cited figure, once per request when ctx has a Memo.
func (s *Store) figure(ctx context.Context, kind, ref, lang string) (*Figure, error) {
	v, err := MemoFrom(ctx).Do(figureKey{kind, ref, lang}, func() (any, error) { return s.resolve(ctx, kind, ref, lang) })
	f, _ := v.(*Figure)
	if err != nil {
		return nil, err
	}
	return f, nil
}

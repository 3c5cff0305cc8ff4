package imports

import (
	"sync"

	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Slots bounds the imports running at once in this process, whichever
// adapter started them (the API's streams, the console's uploads), and
// lets each principal run one at a time, so that no one principal can take
// every slot. It is safe for concurrent use.
type Slots struct {
	max   int
	slots chan struct{} // a token per running import; nil when unlimited

	mu      sync.Mutex
	running map[core.Principal]bool
}

// NewSlots allows max imports at once; 0 means no limit but the one per
// principal.
func NewSlots(max int) *Slots {
	s := &Slots{max: max, running: map[core.Principal]bool{}}
	if max > 0 {
		s.slots = make(chan struct{}, max)
	}
	return s
}

// Acquire takes a slot for one import by p, or refuses at once, with
// KindResourceExhausted, when p already has one under way or every slot
// is taken. release gives it back; calling it again does nothing.
func (s *Slots) Acquire(p core.Principal) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[p] {
		return nil, core.NewError(core.KindResourceExhausted, "you already have an import under way; one principal runs one import at a time")
	}
	if s.slots != nil {
		select {
		case s.slots <- struct{}{}:
		default:
			return nil, core.NewError(core.KindResourceExhausted,
				"%d imports are running, as many as this server allows at once; try again when one has finished", s.max)
		}
	}
	s.running[p] = true
	return sync.OnceFunc(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.running, p)
		if s.slots != nil {
			<-s.slots
		}
	}), nil
}

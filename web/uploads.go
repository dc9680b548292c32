package web

import (
	"net/http"
	"runtime"
	"sync"

	"github.com/labstack/echo/v4"
)

// uploadGate bounds deck uploads in progress: one per user (a second is
// refused while the first is parsed and imported) and a few for the
// whole server (one per core, at least two), so no one can keep every
// core busy with decks. A refused upload fails at once with a message; it
// does not queue, since the browser would wait on a request it may drop.
type uploadGate struct {
	slots chan struct{}
	mu    sync.Mutex
	users map[int64]bool
}

func newUploadGate() *uploadGate {
	return &uploadGate{slots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0))), users: map[int64]bool{}}
}

// enter takes a slot for user's upload, or returns the error to answer.
// A nil error must be followed by leave.
func (g *uploadGate) enter(user int64) *echo.HTTPError {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.users[user] {
		return echo.NewHTTPError(http.StatusTooManyRequests, "Your previous deck upload is still being processed: wait for it to finish, then try again.")
	}
	select {
	case g.slots <- struct{}{}:
	default:
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The server is busy importing other decks: try again in a few seconds.")
	}
	g.users[user] = true
	return nil
}

func (g *uploadGate) leave(user int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.users, user)
	<-g.slots
}

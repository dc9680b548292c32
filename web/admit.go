package web

import (
	"runtime"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/store"
)

// admit lets a bounded number of requests work at once and queues the
// rest in arrival order (a Go channel serves its waiting senders first in,
// first out). Without it, under load every request is a runnable
// goroutine, and the one goroutine that commits ratings (store's writer)
// waits behind all of them for the CPU after each disk sync; the unlucky
// requests waited seconds. A queued request holds no CPU and no database
// connection; the request deadline still bounds its wait (503).
func admit(slots int) echo.MiddlewareFunc {
	gate := make(chan struct{}, slots)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			select {
			case gate <- struct{}{}:
			case <-ctx.Done():
				return store.Errorf(store.EBusy, "The server is busy; please try again in a moment.")
			}
			defer func() { <-gate }()
			return next(c)
		}
	}
}

// AdmitPerCore is how many requests per core work at once; the others
// wait their turn.
const AdmitPerCore = 8

// admitSlots is the number of requests that work at once.
func admitSlots() int { return max(AdmitPerCore*runtime.GOMAXPROCS(0), 16) }

package service

import (
	"context"
	"errors"
	"testing"
)

func TestRun(t *testing.T) {
	def, err := Definition(goos, LayoutFor(goos, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		fn   func(ctx context.Context) error
		want error
	}{
		// A fatal agent error must reach main, so it exits non-zero and the
		// service manager restarts it.
		{"fatal error", func(context.Context) error { return boom }, boom},
		// A clean stop (context ended) is not an error.
		{"stopped", func(ctx context.Context) error { <-ctx.Done(); return nil }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			started := make(chan struct{})
			fn := func(c context.Context) error { close(started); return tc.fn(c) }
			go func() { <-started; cancel() }()
			if err := Run(ctx, def, fn); !errors.Is(err, tc.want) {
				t.Errorf("Run = %v, want %v", err, tc.want)
			}
		})
	}
}

package main

import (
	"context"
	"math/rand"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	maxAttempts  = 5
	firstBackoff = 200 * time.Millisecond
	maxBackoff   = 5 * time.Second
)

// retry calls call with a fresh deadline per attempt, again after a backoff while it fails
// with UNAVAILABLE (an outage of the service or of its database: the call changed nothing,
// or, for a create, its request id makes the retry return what the first attempt did).
// Every other code is final: retrying INVALID_ARGUMENT or PERMISSION_DENIED cannot help.
func retry(ctx context.Context, call func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		attemptCtx, cancel := context.WithTimeout(ctx, callTimeout)
		err := call(attemptCtx)
		cancel()
		if status.Code(err) != codes.Unavailable || attempt >= maxAttempts-1 {
			return err
		}
		if err := sleep(ctx, backoff(attempt, err)); err != nil {
			return err
		}
	}
}

// backoff is exponential with full jitter, and at least the delay the server asked for in
// RetryInfo.
func backoff(attempt int, err error) time.Duration {
	limit := firstBackoff << attempt
	if limit > maxBackoff {
		limit = maxBackoff
	}
	delay := time.Duration(rand.Int63n(int64(limit)) + 1)
	for _, detail := range status.Convert(err).Details() {
		if info, ok := detail.(*errdetails.RetryInfo); ok && info.GetRetryDelay().AsDuration() > delay {
			delay = info.GetRetryDelay().AsDuration()
		}
	}
	return delay
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func init() { rand.Seed(time.Now().UnixNano()) }

// Command follow_task is the smallest Go client: it creates a delivery task, asks for it to be
// dispatched, and follows it with TrackTask to its end, printing each update. It shows what
// every client of the service needs: the bearer token on each call, a deadline on each call,
// the google.rpc error details decoded, and retries of UNAVAILABLE only, with backoff.
//
//	export LOGISTICS_TOKEN=$(.venv/bin/logistics token --tenant demo \
//	    --scope "logistics:read logistics:dispatch")
//	go run . -target 127.0.0.1:4104
//
// See README.md for an offline build with Debian's Go packages.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	logisticsv1 "github.com/bengobox/logistics/gen/go/bengobox/logistics/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const callTimeout = 10 * time.Second

func main() {
	target := flag.String("target", "127.0.0.1:4104", "the gRPC listener, host:port")
	dispatch := flag.Bool("dispatch", true, "ask for automatic dispatch (false: leave it to a dispatcher)")
	pickupLat := flag.Float64("pickup-lat", -1.2649, "pickup latitude (try 100 to see a BadRequest)")
	follow := flag.Duration("follow", 30*time.Minute, "how long to follow the task at most")
	flag.Parse()

	token := os.Getenv("LOGISTICS_TOKEN")
	tenant, err := tenantOf(token)
	if err != nil {
		fmt.Fprintln(os.Stderr, "LOGISTICS_TOKEN:", err)
		os.Exit(2)
	}
	if err := run(*target, token, tenant, *dispatch, *pickupLat, *follow); err != nil {
		fmt.Fprintln(os.Stderr, describe(err))
		os.Exit(1)
	}
}

func run(target, token, tenant string, dispatch bool, pickupLat float64, follow time.Duration) error {
	conn, err := grpc.Dial(target, grpc.WithInsecure(), grpc.WithPerRPCCredentials(bearer(token)))
	if err != nil {
		return err
	}
	defer conn.Close()
	tasks := logisticsv1.NewTaskServiceClient(conn)

	// Lunch from Java House, Westlands, to an office on Waiyaki Way. The request id makes
	// the create safe to retry: a second attempt returns the task the first one created.
	request := &logisticsv1.CreateTaskRequest{
		Parent:    "tenants/" + tenant,
		RequestId: newRequestID(),
		Task: &logisticsv1.Task{
			Kind:     logisticsv1.Task_KIND_DELIVERY,
			OutletId: "java-westlands",
			Steps: []*logisticsv1.TaskStep{
				{
					Kind:     logisticsv1.TaskStep_KIND_PICKUP,
					Location: &logisticsv1.GeoPoint{Latitude: pickupLat, Longitude: 36.8050},
				},
				{
					Kind:           logisticsv1.TaskStep_KIND_DROP_OFF,
					Location:       &logisticsv1.GeoPoint{Latitude: -1.2612, Longitude: 36.7985},
					ContactName:    "Wanjiku",
					RequiredProofs: []logisticsv1.TaskStep_ProofKind{logisticsv1.TaskStep_PROOF_KIND_ONE_TIME_CODE},
					OneTimeCode:    "2468",
				},
			},
		},
	}
	var task *logisticsv1.Task
	err = retry(context.Background(), func(ctx context.Context) (err error) {
		task, err = tasks.CreateTask(ctx, request)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Println("created", task.GetName())

	if dispatch {
		// AutoDispatch returns once a rider accepted (or the task went to manual dispatch);
		// the task is followed meanwhile.
		dispatcher := logisticsv1.NewDispatchServiceClient(conn)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if _, err := dispatcher.AutoDispatch(ctx, &logisticsv1.AutoDispatchRequest{Task: task.GetName()}); err != nil {
				fmt.Fprintln(os.Stderr, "dispatch:", describe(err))
			}
		}()
	}

	ctx, cancel := context.WithTimeout(context.Background(), follow)
	defer cancel()
	return track(ctx, logisticsv1.NewTelemetryServiceClient(conn), task.GetName())
}

// track prints the task's updates until its final state. A stream broken by UNAVAILABLE (a
// server restarting, a network blip) is opened again after a backoff: the first message of a
// new stream is the task's current state, so nothing is missed but positions in between.
func track(ctx context.Context, telemetry logisticsv1.TelemetryServiceClient, name string) error {
	for attempt := 0; ; attempt++ {
		stream, err := telemetry.TrackTask(ctx, &logisticsv1.TrackTaskRequest{Task: name})
		for err == nil {
			var update *logisticsv1.TrackTaskResponse
			if update, err = stream.Recv(); err == nil {
				attempt = 0
				fmt.Println(describeUpdate(update))
			}
		}
		if errors.Is(err, io.EOF) {
			return nil // the server ended the stream after the final state
		}
		if status.Code(err) != codes.Unavailable || attempt >= maxAttempts-1 {
			return err
		}
		if err := sleep(ctx, backoff(attempt, err)); err != nil {
			return err
		}
	}
}

func describeUpdate(update *logisticsv1.TrackTaskResponse) string {
	line := fmt.Sprint(update.GetState())
	if p := update.GetRiderPosition(); p != nil {
		line += fmt.Sprintf(" rider at %.5f,%.5f", p.GetLatitude(), p.GetLongitude())
	}
	if eta := update.GetEta(); eta != nil {
		line += fmt.Sprintf(" eta %d s", eta.GetSeconds())
	}
	return line
}

// describe renders an error with the google.rpc details the service attaches: ErrorInfo's
// reason (stable, for programs), BadRequest's field violations, RetryInfo's delay.
func describe(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return "error: " + err.Error()
	}
	lines := []string{fmt.Sprintf("error: %s: %s", st.Code(), st.Message())}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			lines = append(lines, fmt.Sprintf("  reason %s (domain %s)", d.GetReason(), d.GetDomain()))
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				lines = append(lines, fmt.Sprintf("  field %s: %s", v.GetField(), v.GetDescription()))
			}
		case *errdetails.RetryInfo:
			lines = append(lines, fmt.Sprintf("  retry after %s", d.GetRetryDelay().AsDuration()))
		case error:
			lines = append(lines, "  undecodable detail: "+d.Error())
		}
	}
	return strings.Join(lines, "\n")
}

// bearerToken puts "authorization: Bearer <token>" on every call of the connection.
type bearerToken string

func bearer(token string) bearerToken { return bearerToken(token) }

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

// RequireTransportSecurity is false for this plaintext example; use TLS in production.
func (bearerToken) RequireTransportSecurity() bool { return false }

// tenantOf reads the token's tenant claim, so the example needs nothing but the token.
func tenantOf(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT; mint one with `logistics token --tenant demo`")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims struct {
		Tenant string `json:"tenant"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Tenant == "" {
		return "", errors.New("the token carries no tenant claim")
	}
	return claims.Tenant, nil
}

func newRequestID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

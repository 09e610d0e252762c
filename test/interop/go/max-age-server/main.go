// Command max-age-server is a grpc-go test peer: a grpc.health.v1 server
// whose connections live at most --max_age_ms, the way a Kubernetes
// deployment sets grpc-go's keepalive.ServerParameters.MaxConnectionAge.
// When a connection reaches its age, grpc-go sends GOAWAY and refuses
// streams that race with it: clients must retry those transparently
// (gRFC A6). Used by test/interop/max-connection-age.test.ts.
//
// It listens on 127.0.0.1 only and prints "max-age server listening on
// 127.0.0.1:PORT" on stdout once it serves (--port 0 picks a free port),
// then "connection N opened" and "connection N closed" for each TCP
// connection, so a test can prove that connections really churned.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1; 0 picks a free one")
	maxAgeMs := flag.Int("max_age_ms", 300, "keepalive.ServerParameters.MaxConnectionAge, in milliseconds")
	graceMs := flag.Int("grace_ms", 5000, "keepalive.ServerParameters.MaxConnectionAgeGrace, in milliseconds")
	flag.Parse()

	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	listener = &countingListener{Listener: listener}
	server := grpc.NewServer(grpc.KeepaliveParams(keepalive.ServerParameters{
		// grpc-go adds up to ±10% jitter to the age, so connections do not all end at once.
		MaxConnectionAge:      time.Duration(*maxAgeMs) * time.Millisecond,
		MaxConnectionAgeGrace: time.Duration(*graceMs) * time.Millisecond,
	}))
	healthServer := health.NewServer()
	// The overall server and the health service itself report SERVING.
	healthServer.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthServer.SetServingStatus(healthpb.Health_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(server, healthServer)

	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		<-signals
		server.Stop()
	}()

	fmt.Printf("max-age server listening on %s (MaxConnectionAge %d ms, grace %d ms)\n", listener.Addr(), *maxAgeMs, *graceMs)
	if err := server.Serve(listener); err != nil {
		log.Fatalf("serve: %v", err)
	}
}

// countingListener numbers the connections it accepts and reports when each
// opens and closes, on stdout.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	n := l.accepted.Add(1)
	fmt.Printf("connection %d opened\n", n)
	return &countedConn{Conn: conn, n: n}, nil
}

type countedConn struct {
	net.Conn
	n    int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { fmt.Printf("connection %d closed\n", c.n) })
	return c.Conn.Close()
}

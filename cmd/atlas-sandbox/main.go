// Command atlas-sandbox serves the local Atlas sandbox (internal/sandbox) on
// a loopback address, for `make demo` and for trying the provider by hand.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on (port 0 picks a free one)")
	envFile := flag.String("env-file", "", "once listening, write shell exports of the base URL and the sandbox key pair to this file")
	latency := flag.Duration("latency", 0, "delay every answer by this much, to model the round trip to Atlas")
	generate := flag.Int("generate", 0, "also seed a cluster named generated-N with N generated jobs (benchmarks)")
	flag.Parse()

	host, _, err := net.SplitHostPort(*listen)
	if err != nil || !atlas.IsLoopback(host) {
		log.Fatalf("atlas-sandbox: -listen %q must be a loopback address such as 127.0.0.1:8080", *listen)
	}
	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("atlas-sandbox: %v", err)
	}
	srv := sandbox.New()
	srv.Latency = *latency
	extraCluster := ""
	if *generate > 0 {
		extraCluster = fmt.Sprintf("generated-%d", *generate)
		srv.SetJobs(sandbox.ProjectID, extraCluster, sandbox.GenerateJobs(extraCluster, *generate, 1))
	}
	baseURL := "http://" + listener.Addr().String()
	server := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}

	if *envFile != "" {
		env := fmt.Sprintf("export MONGODB_ATLAS_BASE_URL=%q\nexport MONGODB_ATLAS_PUBLIC_KEY=%q\nexport MONGODB_ATLAS_PRIVATE_KEY=%q\n",
			baseURL, sandbox.PublicKey, sandbox.PrivateKey)
		// Written whole under a temporary name, so a reader never sees half of it.
		if err := os.WriteFile(*envFile+".tmp", []byte(env), 0o600); err != nil {
			log.Fatalf("atlas-sandbox: %v", err)
		}
		if err := os.Rename(*envFile+".tmp", *envFile); err != nil {
			log.Fatalf("atlas-sandbox: %v", err)
		}
	}
	fmt.Printf("Atlas sandbox listening on %s\n", baseURL)
	fmt.Printf("  project %s, clusters %s, %s, %s (%d jobs), %s, %s (a job per kind of export bucket)\n", sandbox.ProjectID,
		sandbox.ClusterReplicaSet, sandbox.ClusterSharded, sandbox.ClusterGenerated, sandbox.GeneratedJobs, sandbox.ClusterEmpty,
		sandbox.ClusterBucketKinds)
	if extraCluster != "" {
		fmt.Printf("  cluster %s (%d jobs)\n", extraCluster, *generate)
	}
	fmt.Printf("  API key %s / %s; service account %s / %s\n", sandbox.PublicKey, sandbox.PrivateKey, sandbox.ClientID, sandbox.ClientSecret)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdownCtx)
	}()
	if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("atlas-sandbox: %v", err)
	}
}

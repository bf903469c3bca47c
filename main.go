// Command terraform-provider-atlasexports serves the atlasexports Terraform
// provider over protocol 6.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/provider"
)

// version is set by the release build (goreleaser ldflags: -X main.version=...).
var version = "dev"

//go:generate go tool tfplugindocs generate --provider-name atlasexports

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		// Change the namespace ("atlasexports") to yours when publishing to the Terraform Registry.
		Address: "registry.terraform.io/atlasexports/atlasexports",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

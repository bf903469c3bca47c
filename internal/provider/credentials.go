package provider

import (
	"fmt"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// resolveCredentials picks the key pair or the service account, and says
// where each value came from (for the advice on a 401). Each value falls back
// from its attribute to the environment, so a public key in the provider
// block may go with a private key in the environment. The kind follows the
// attributes when any is set; otherwise the environment must hold exactly
// one kind: setting both is an error rather than a silent choice, since the
// wrong identity reading a production project is worse than a failed plan.
func (p *atlasExportsProvider) resolveCredentials(cfg providerModel, out *atlas.Config, resp *provider.ConfigureResponse) string {
	publicKey := attrOrEnv(cfg.PublicKey, "public_key", EnvPublicAPIKey, EnvPublicKey)
	privateKey := attrOrEnv(cfg.PrivateKey, "private_key", EnvPrivateAPIKey, EnvPrivateKey)
	clientID := attrOrEnv(cfg.ClientID, "client_id", EnvClientID)
	clientSecret := attrOrEnv(cfg.ClientSecret, "client_secret", EnvClientSecret)

	useKey := !cfg.PublicKey.IsNull() || !cfg.PrivateKey.IsNull()
	useSA := !cfg.ClientID.IsNull() || !cfg.ClientSecret.IsNull()
	if !useKey && !useSA {
		useKey = publicKey.value != "" || privateKey.value != ""
		useSA = clientID.value != "" || clientSecret.value != ""
		if useKey && useSA {
			resp.Diagnostics.AddError("Both an API key and a service account are set",
				fmt.Sprintf("The environment sets an API key (%s/%s) and a service account (%s/%s). Unset one of them, "+
					"or choose in the provider block: attributes take precedence over the environment.",
					EnvPublicKey, EnvPrivateKey, EnvClientID, EnvClientSecret))
			return ""
		}
	}
	switch {
	case useKey:
		if publicKey.value == "" || privateKey.value == "" {
			resp.Diagnostics.AddError("Incomplete Atlas API key",
				fmt.Sprintf("An API key needs both halves: public_key (or %s, %s) and private_key (or %s, %s). "+
					"Found: %s; %s.", EnvPublicKey, EnvPublicAPIKey, EnvPrivateKey, EnvPrivateAPIKey,
					publicKey.describe(), privateKey.describe()))
			return ""
		}
		out.PublicKey, out.PrivateKey = publicKey.value, privateKey.value
		return "the API key's public_key " + publicKey.source + " and private_key " + privateKey.source
	case useSA:
		if clientID.value == "" || clientSecret.value == "" {
			resp.Diagnostics.AddError("Incomplete Atlas service account",
				fmt.Sprintf("A service account needs client_id (or %s) and client_secret (or %s). Found: %s; %s.",
					EnvClientID, EnvClientSecret, clientID.describe(), clientSecret.describe()))
			return ""
		}
		out.ClientID, out.ClientSecret = clientID.value, clientSecret.value
		return "the service account's client_id " + clientID.source + " and client_secret " + clientSecret.source
	}
	resp.Diagnostics.AddError("No Atlas credentials",
		fmt.Sprintf("The provider needs an Atlas API key or service account. Set the provider attributes "+
			"public_key and private_key (or client_id and client_secret), or the environment variables %s "+
			"(or %s) and %s (or %s), or %s and %s.", EnvPublicKey, EnvPublicAPIKey, EnvPrivateKey,
			EnvPrivateAPIKey, EnvClientID, EnvClientSecret))
	return ""
}

// credential is one credential value and where it came from.
type credential struct {
	name, value, source string
}

func (c credential) describe() string {
	if c.value == "" {
		return c.name + " is not set"
	}
	return c.name + " " + c.source
}

// attrOrEnv takes an attribute's value, or else the first environment
// variable of names that is set.
func attrOrEnv(attr types.String, name string, envNames ...string) credential {
	if !attr.IsNull() {
		return credential{name: name, value: attr.ValueString(), source: "from the provider block"}
	}
	for _, env := range envNames {
		if v := os.Getenv(env); v != "" {
			return credential{name: name, value: v, source: "from " + env}
		}
	}
	return credential{name: name}
}

func authKind(cfg atlas.Config) string {
	if cfg.ClientID != "" {
		return "service account"
	}
	return "api key"
}

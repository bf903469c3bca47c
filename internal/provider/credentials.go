package provider

import (
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// Credentials follow the official mongodbatlas provider's rules, so that a
// configuration (or a CI job's environment) that works with one works with
// the other:
//
//   - One source, never merged: the provider block when it sets any
//     credential attribute, otherwise the environment. A half pair in the
//     block is an error even when the environment holds the other half.
//   - Within that source, an access token wins over a service account, which
//     wins over an API key. The ones not used are named in a warning, not an
//     error: a CI job that adds service account variables beside its old key
//     keeps working, on the service account.
//   - The kind used must be complete: a service account needs its client ID
//     and secret, an API key both halves.

// credentialKind is a kind of Atlas credentials, in order of precedence.
type credentialKind int

const (
	kindAccessToken credentialKind = iota
	kindServiceAccount
	kindAPIKey
)

func (k credentialKind) String() string {
	return [...]string{"an access token", "a service account", "an API key"}[k]
}

// credentialValue is one credential and where it came from: an attribute
// name, or the environment variable that held it.
type credentialValue struct {
	value, from string
}

// credentialSource is the credentials of one source.
type credentialSource struct {
	name string // "the provider block" or "the environment"
	// Each field's from names what to set when it is missing: the
	// attribute, or the documented environment variable.
	accessToken, clientID, clientSecret, publicKey, privateKey credentialValue
}

func credentialsFromBlock(cfg providerModel) credentialSource {
	attr := func(v types.String, name string) credentialValue {
		return credentialValue{value: v.ValueString(), from: name}
	}
	return credentialSource{
		name:         "the provider block",
		accessToken:  attr(cfg.AccessToken, "access_token"),
		clientID:     attr(cfg.ClientID, "client_id"),
		clientSecret: attr(cfg.ClientSecret, "client_secret"),
		publicKey:    attr(cfg.PublicKey, "public_key"),
		privateKey:   attr(cfg.PrivateKey, "private_key"),
	}
}

func credentialsFromEnvironment() credentialSource {
	return credentialSource{
		name:         "the environment",
		accessToken:  fromEnv(EnvAccessToken),
		clientID:     fromEnv(EnvClientID),
		clientSecret: fromEnv(EnvClientSecret),
		publicKey:    fromEnv(EnvPublicAPIKey, EnvPublicKey),
		privateKey:   fromEnv(EnvPrivateAPIKey, EnvPrivateKey),
	}
}

// fromEnv takes the first of names that is set and not empty; when none
// is, from names the first (the documented one).
func fromEnv(names ...string) credentialValue {
	for _, name := range names {
		if v := os.Getenv(name); v != "" {
			return credentialValue{value: v, from: name}
		}
	}
	return credentialValue{from: names[0]}
}

// kinds lists the kinds the source holds any part of, in order of precedence.
func (s credentialSource) kinds() []credentialKind {
	var kinds []credentialKind
	if s.accessToken.value != "" {
		kinds = append(kinds, kindAccessToken)
	}
	if s.clientID.value != "" || s.clientSecret.value != "" {
		kinds = append(kinds, kindServiceAccount)
	}
	if s.publicKey.value != "" || s.privateKey.value != "" {
		kinds = append(kinds, kindAPIKey)
	}
	return kinds
}

// parts are the values that make up a kind.
func (s credentialSource) parts(k credentialKind) []credentialValue {
	switch k {
	case kindAccessToken:
		return []credentialValue{s.accessToken}
	case kindServiceAccount:
		return []credentialValue{s.clientID, s.clientSecret}
	default:
		return []credentialValue{s.publicKey, s.privateKey}
	}
}

// describe names a kind with where its values came from, such as "a
// service account (MONGODB_ATLAS_CLIENT_ID, MONGODB_ATLAS_CLIENT_SECRET)".
func (s credentialSource) describe(k credentialKind) string {
	var from []string
	for _, p := range s.parts(k) {
		if p.value != "" {
			from = append(from, p.from)
		}
	}
	return k.String() + " (" + strings.Join(from, ", ") + ")"
}

// resolveCredentials chooses the credentials by the rules above and sets
// them in out. It returns what it chose, for the advice when Atlas refuses
// them, or "" after an error.
func resolveCredentials(cfg providerModel, out *atlas.Config, diags *diag.Diagnostics) string {
	source := credentialsFromBlock(cfg)
	if len(source.kinds()) == 0 {
		source = credentialsFromEnvironment()
	}
	kinds := source.kinds()
	if len(kinds) == 0 {
		diags.AddError("No Atlas credentials",
			"The provider needs Atlas credentials, in the provider block or in the environment:\n"+
				"- a service account (Atlas's recommendation): client_id and client_secret, or "+EnvClientID+" and "+EnvClientSecret+";\n"+
				"- an access token of a service account: access_token, or "+EnvAccessToken+";\n"+
				"- a programmatic API key: public_key and private_key, or "+EnvPublicAPIKey+" and "+EnvPrivateAPIKey+".")
		return ""
	}
	used := kinds[0]
	if len(kinds) > 1 {
		ignored := make([]string, len(kinds)-1)
		for i, k := range kinds[1:] {
			ignored[i] = source.describe(k)
		}
		diags.AddWarning("More than one kind of Atlas credentials",
			fmt.Sprintf("%s sets %s and %s. The provider uses %s and ignores the rest: as in the mongodbatlas "+
				"provider, an access token wins over a service account, which wins over an API key. Remove the "+
				"credentials you do not mean to use to silence this warning.",
				capitalize(source.name), source.describe(used), strings.Join(ignored, " and "), used))
	}
	var missing []string
	for _, p := range source.parts(used) {
		if p.value == "" {
			missing = append(missing, p.from)
		}
	}
	if len(missing) > 0 {
		diags.AddError("Incomplete Atlas credentials",
			fmt.Sprintf("%s sets %s but not %s. Set it too. Credentials come from one source only: the provider "+
				"block when it sets any of access_token, client_id, client_secret, public_key or private_key, "+
				"otherwise the environment; the two are never combined.",
				capitalize(source.name), source.describe(used), strings.Join(missing, " or ")))
		return ""
	}
	switch used {
	case kindAccessToken:
		out.AccessToken = source.accessToken.value
	case kindServiceAccount:
		out.ClientID, out.ClientSecret = source.clientID.value, source.clientSecret.value
	case kindAPIKey:
		out.PublicKey, out.PrivateKey = source.publicKey.value, source.privateKey.value
	}
	return source.describe(used) + " from " + source.name
}

func capitalize(s string) string {
	return strings.ToUpper(s[:1]) + s[1:]
}

func authKind(cfg atlas.Config) string {
	switch {
	case cfg.AccessToken != "":
		return "access token"
	case cfg.ClientID != "":
		return "service account"
	}
	return "api key"
}

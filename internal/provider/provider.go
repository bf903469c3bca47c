// Package provider is the atlasexports Terraform provider: its configuration
// and data sources. HTTP, paging and retries live in internal/atlas; this
// package validates input, maps results and sets state.
package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// Environment variables the provider reads when an attribute is not set.
// The names are the official mongodbatlas provider's, so existing setups work.
//
//nolint:gosec // G101: these are the names of variables, not credentials
const (
	EnvPublicKey       = "MONGODB_ATLAS_PUBLIC_KEY"
	EnvPublicAPIKey    = "MONGODB_ATLAS_PUBLIC_API_KEY"
	EnvPrivateKey      = "MONGODB_ATLAS_PRIVATE_KEY"
	EnvPrivateAPIKey   = "MONGODB_ATLAS_PRIVATE_API_KEY"
	EnvClientID        = "MONGODB_ATLAS_CLIENT_ID"
	EnvClientSecret    = "MONGODB_ATLAS_CLIENT_SECRET"
	EnvBaseURL         = "MONGODB_ATLAS_BASE_URL"
	EnvMaxRetries      = "MONGODB_ATLAS_MAX_RETRIES"
	defaultReadTimeout = 20 * time.Minute
)

var _ provider.Provider = (*atlasExportsProvider)(nil)

type atlasExportsProvider struct {
	version string

	// data is what Configure made, for the server's direct read path
	// (server.go); data sources get it through the framework.
	mu   sync.Mutex
	data *providerData
}

func (p *atlasExportsProvider) configured() *providerData {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.data
}

// New returns a constructor of the provider, as providerserver expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &atlasExportsProvider{version: version}
	}
}

type providerModel struct {
	PublicKey             types.String `tfsdk:"public_key"`
	PrivateKey            types.String `tfsdk:"private_key"`
	ClientID              types.String `tfsdk:"client_id"`
	ClientSecret          types.String `tfsdk:"client_secret"`
	BaseURL               types.String `tfsdk:"base_url"`
	APIVersion            types.String `tfsdk:"api_version"`
	MaxRetries            types.Int64  `tfsdk:"max_retries"`
	RequestTimeout        types.String `tfsdk:"request_timeout"`
	MaxConcurrentRequests types.Int64  `tfsdk:"max_concurrent_requests"`
}

// providerData is what the provider hands its data sources.
type providerData struct {
	client *atlas.Client
	// secrets are masked in every log line written while a data source reads.
	secrets []string
	// credentialSource says which credentials are in use and where each
	// came from, for the advice when Atlas refuses them.
	credentialSource string
}

func (p *atlasExportsProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "atlasexports"
	resp.Version = p.version
}

func (p *atlasExportsProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads MongoDB Atlas Cloud Backup snapshot export jobs: every page, with retries, " +
			"timeouts and the reason a job failed. Authenticate with a programmatic API key (HTTP Digest) " +
			"or a service account (OAuth 2.0), in the attributes below or in the environment.",
		Attributes: map[string]schema.Attribute{
			"public_key": schema.StringAttribute{
				MarkdownDescription: "Public part of an Atlas programmatic API key. Defaults to `" + EnvPublicAPIKey +
					"` or `" + EnvPublicKey + "`. Use with `private_key`; do not combine with `client_id`.",
				Optional: true,
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ConflictsWith(path.MatchRoot("client_id"), path.MatchRoot("client_secret")),
				},
			},
			"private_key": schema.StringAttribute{
				MarkdownDescription: "Private part of the API key. Defaults to `" + EnvPrivateAPIKey + "` or `" +
					EnvPrivateKey + "`. Sensitive: it is never logged or shown.",
				Optional:  true,
				Sensitive: true,
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ConflictsWith(path.MatchRoot("client_id"), path.MatchRoot("client_secret")),
				},
			},
			"client_id": schema.StringAttribute{
				MarkdownDescription: "Client ID of an Atlas service account, Atlas's recommended authentication. " +
					"Defaults to `" + EnvClientID + "`. Use with `client_secret`; do not combine with `public_key`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"client_secret": schema.StringAttribute{
				MarkdownDescription: "Client secret of the service account. Defaults to `" + EnvClientSecret +
					"`. Sensitive: it is never logged or shown.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"base_url": schema.StringAttribute{
				MarkdownDescription: "Atlas base URL; the provider appends the API path. Defaults to `" + EnvBaseURL +
					"`, then `" + atlas.DefaultBaseURL + "`. Must be `https`, except towards a loopback host " +
					"(`127.0.0.0/8`, `::1`, `localhost`), such as the local sandbox.",
				Optional:   true,
				Validators: []validator.String{baseURLValidator{}},
			},
			"api_version": schema.StringAttribute{
				MarkdownDescription: "Atlas Admin API version: `v2` (default; `/api/atlas/v2`, media type `" +
					atlas.MediaTypeV2 + "`) or `v1.0` (the deprecated `/api/atlas/v1.0`). Results are the same.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(atlas.APIVersionV2, atlas.APIVersionV1)},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Retries of a request that failed with 429, 500, 502, 503, 504 or a "+
					"network error, after the first attempt; 0 turns retries off. Defaults to `%s`, then %d.",
					EnvMaxRetries, atlas.DefaultMaxRetries),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 20)},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Time limit of one HTTP attempt, reading the body included, as a "+
					"Go duration such as `30s` or `2m`. A hung attempt is abandoned and retried. Defaults to `%s`.",
					durationText(atlas.DefaultRequestTimeout)),
				Optional:   true,
				Validators: []validator.String{durationValidator{}},
			},
			"max_concurrent_requests": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Pages read in parallel when a list spans several pages; `1` reads "+
					"them one by one. Halved automatically while Atlas answers 429. Defaults to %d.",
					atlas.DefaultMaxConcurrentRequests),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(1, 32)},
			},
		},
	}
}

func (p *atlasExportsProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for name, v := range map[string]interface{ IsUnknown() bool }{
		"public_key": cfg.PublicKey, "private_key": cfg.PrivateKey, "client_id": cfg.ClientID,
		"client_secret": cfg.ClientSecret, "base_url": cfg.BaseURL, "api_version": cfg.APIVersion,
		"max_retries": cfg.MaxRetries, "request_timeout": cfg.RequestTimeout, "max_concurrent_requests": cfg.MaxConcurrentRequests,
	} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown provider configuration value",
				fmt.Sprintf("The provider cannot read Atlas until %s is known. Set it to a literal, a variable or "+
					"an environment variable, or apply the resources it depends on first (-target).", name))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	clientCfg := atlas.Config{
		APIVersion:            cfg.APIVersion.ValueString(),
		MaxRetries:            atlas.DefaultMaxRetries,
		RequestTimeout:        atlas.DefaultRequestTimeout,
		MaxConcurrentRequests: atlas.DefaultMaxConcurrentRequests,
		UserAgent:             userAgent(p.version, req.TerraformVersion),
		Logger:                tflogLogger{},
	}
	credentialSource := p.resolveCredentials(cfg, &clientCfg, resp)

	baseURL, baseURLPath, baseURLSource := cfg.BaseURL.ValueString(), path.Root("base_url"), "base_url"
	if cfg.BaseURL.IsNull() {
		baseURL, baseURLSource = os.Getenv(EnvBaseURL), EnvBaseURL
	}
	if _, err := atlas.ParseBaseURL(baseURL); err != nil {
		resp.Diagnostics.AddAttributeError(baseURLPath, "Invalid Atlas base URL",
			fmt.Sprintf("The URL from %s is not usable: %v.", baseURLSource, err))
	}
	clientCfg.BaseURL = baseURL

	switch {
	case !cfg.MaxRetries.IsNull():
		clientCfg.MaxRetries = int(cfg.MaxRetries.ValueInt64())
	case os.Getenv(EnvMaxRetries) != "":
		n, err := strconv.Atoi(os.Getenv(EnvMaxRetries))
		if err != nil || n < 0 || n > 20 {
			resp.Diagnostics.AddAttributeError(path.Root("max_retries"), "Invalid "+EnvMaxRetries,
				fmt.Sprintf("%s is %q; it must be a whole number from 0 to 20.", EnvMaxRetries, os.Getenv(EnvMaxRetries)))
		}
		clientCfg.MaxRetries = n
	}
	if !cfg.RequestTimeout.IsNull() {
		// The validator has already rejected values that do not parse.
		clientCfg.RequestTimeout, _ = time.ParseDuration(cfg.RequestTimeout.ValueString())
	}
	if !cfg.MaxConcurrentRequests.IsNull() {
		clientCfg.MaxConcurrentRequests = int(cfg.MaxConcurrentRequests.ValueInt64())
	}
	if resp.Diagnostics.HasError() {
		return
	}

	client, err := atlas.New(clientCfg)
	if err != nil {
		resp.Diagnostics.AddError("Unable to create the Atlas client", err.Error())
		return
	}
	data := &providerData{client: client, credentialSource: credentialSource}
	for _, s := range []string{clientCfg.PrivateKey, clientCfg.ClientSecret} {
		if s != "" {
			data.secrets = append(data.secrets, s)
		}
	}
	tflog.Debug(data.maskSecrets(ctx), "configured the Atlas client", map[string]any{
		"base_url": clientCfg.BaseURL, "api_version": clientCfg.APIVersion, "max_retries": clientCfg.MaxRetries,
		"request_timeout": clientCfg.RequestTimeout.String(), "max_concurrent_requests": clientCfg.MaxConcurrentRequests,
		"auth": authKind(clientCfg),
	})
	resp.DataSourceData = data
	p.mu.Lock()
	p.data = data
	p.mu.Unlock()
}

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

func userAgent(version, terraformVersion string) string {
	ua := "terraform-provider-atlasexports/" + version
	if terraformVersion != "" {
		ua += " Terraform/" + terraformVersion
	}
	return ua
}

// Secrets that could reach a log line only through a bug elsewhere (a
// library logging a header, say) are masked anyway.
var (
	digestResponseRegexp = regexp.MustCompile(`response="[^"]*"`)
	bearerRegexp         = regexp.MustCompile(`Bearer [A-Za-z0-9._~+/=-]+`)
)

// maskSecrets returns a context whose tflog output masks the configured
// secrets, digest answers and bearer tokens, in messages and fields alike.
func (d *providerData) maskSecrets(ctx context.Context) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "private_key", "client_secret", "authorization", "Authorization")
	ctx = tflog.MaskAllFieldValuesRegexes(ctx, digestResponseRegexp, bearerRegexp)
	ctx = tflog.MaskMessageRegexes(ctx, digestResponseRegexp, bearerRegexp)
	if len(d.secrets) > 0 {
		ctx = tflog.MaskAllFieldValuesStrings(ctx, d.secrets...)
		ctx = tflog.MaskMessageStrings(ctx, d.secrets...)
	}
	return ctx
}

// tflogLogger adapts the client's Logger to tflog; masking comes with the
// context the data source passes down.
type tflogLogger struct{}

// tflogMu serialises the client's log lines. The client logs from the
// goroutines that read pages in parallel, all under one context, and tflog's
// masking rewrites that context's field map in place: concurrent lines crash
// the provider with "concurrent map iteration and map write".
var tflogMu sync.Mutex

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflogMu.Lock()
	defer tflogMu.Unlock()
	tflog.Debug(ctx, msg, fields)
}

func (tflogLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflogMu.Lock()
	defer tflogMu.Unlock()
	tflog.Warn(ctx, msg, fields)
}

func (p *atlasExportsProvider) Resources(_ context.Context) []func() resource.Resource {
	return nil
}

func (p *atlasExportsProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewSnapshotExportsDataSource,
		NewSnapshotExportDataSource,
	}
}

// baseURLValidator rejects, at plan time, a base_url that is not an http(s)
// URL or that sends credentials in clear text off this machine.
type baseURLValidator struct{}

func (baseURLValidator) Description(_ context.Context) string {
	return "must be an absolute https URL, or http towards a loopback host"
}

func (v baseURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (baseURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := atlas.ParseBaseURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Atlas base URL", strings.TrimSuffix(err.Error(), ".")+".")
	}
}

// durationValidator accepts positive Go durations such as "30s" or "2m".
type durationValidator struct{}

func (durationValidator) Description(_ context.Context) string {
	return `must be a positive Go duration such as "30s" or "2m"`
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%q is not a positive duration. Use a number with a unit, such as \"30s\", \"90s\" or \"2m\".",
				req.ConfigValue.ValueString()))
	}
}

// durationText writes a default duration as a user would type it, "60s" or
// "20m", not Go's "1m0s" or "20m0s".
func durationText(d time.Duration) string {
	if d >= 10*time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

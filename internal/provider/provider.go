// Package provider is the atlasexports Terraform provider: its configuration
// and data sources. HTTP, paging and retries live in internal/atlas; this
// package validates input, maps results and sets state.
package provider

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
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
// The names are the official mongodbatlas provider's, so existing setups
// work: the documented MONGODB_ATLAS_PUBLIC_API_KEY and
// MONGODB_ATLAS_PRIVATE_API_KEY, and the older MONGODB_ATLAS_PUBLIC_KEY and
// MONGODB_ATLAS_PRIVATE_KEY, which it still reads when the documented ones
// are unset.
//
//nolint:gosec // G101: these are the names of variables, not credentials
const (
	EnvAccessToken     = "MONGODB_ATLAS_ACCESS_TOKEN"
	EnvPublicAPIKey    = "MONGODB_ATLAS_PUBLIC_API_KEY"
	EnvPublicKey       = "MONGODB_ATLAS_PUBLIC_KEY"
	EnvPrivateAPIKey   = "MONGODB_ATLAS_PRIVATE_API_KEY"
	EnvPrivateKey      = "MONGODB_ATLAS_PRIVATE_KEY"
	EnvClientID        = "MONGODB_ATLAS_CLIENT_ID"
	EnvClientSecret    = "MONGODB_ATLAS_CLIENT_SECRET"
	EnvBaseURL         = "MONGODB_ATLAS_BASE_URL"
	EnvMaxRetries      = "MONGODB_ATLAS_MAX_RETRIES"
	defaultReadTimeout = 20 * time.Minute
)

var (
	_ provider.Provider            = (*atlasExportsProvider)(nil)
	_ provider.ProviderWithActions = (*atlasExportsProvider)(nil)
)

type atlasExportsProvider struct {
	version string
}

// New returns a constructor of the provider, as providerserver expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &atlasExportsProvider{version: version}
	}
}

type providerModel struct {
	AccessToken           types.String `tfsdk:"access_token"`
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
			"timeouts and the reason a job failed. Authenticate with a service account, an access token or a " +
			"programmatic API key, in the attributes below or, when the provider block sets none, in the " +
			"environment. Within one source an access token wins over a service account, which wins over an API " +
			"key (a warning names what is ignored), as in the mongodbatlas provider.",
		Attributes: map[string]schema.Attribute{
			"client_id": schema.StringAttribute{
				MarkdownDescription: "Client ID of an Atlas service account, Atlas's recommended way to authenticate. " +
					"Use with `client_secret`. Defaults to `" + EnvClientID + "` when the provider block sets no " +
					"credentials.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"client_secret": schema.StringAttribute{
				MarkdownDescription: "Client secret of the service account. Defaults to `" + EnvClientSecret +
					"` when the provider block sets no credentials. Sensitive: never logged or shown.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"access_token": schema.StringAttribute{
				MarkdownDescription: "An access token of a service account, obtained beforehand (it lasts one hour; " +
					"the provider does not renew it). Defaults to `" + EnvAccessToken + "` when the provider block " +
					"sets no credentials. Wins over a service account and an API key set beside it. Sensitive: never " +
					"logged or shown.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"public_key": schema.StringAttribute{
				MarkdownDescription: "Public part of an Atlas programmatic API key. Use with `private_key`. Defaults " +
					"to `" + EnvPublicAPIKey + "` (or the older `" + EnvPublicKey + "`) when the provider block sets no " +
					"credentials.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"private_key": schema.StringAttribute{
				MarkdownDescription: "Private part of the API key. Defaults to `" + EnvPrivateAPIKey + "` (or the " +
					"older `" + EnvPrivateKey + "`) when the provider block sets no credentials. Sensitive: never " +
					"logged or shown.",
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
				MarkdownDescription: "Version of the Atlas Administration API to read export jobs with: `v2` (the " +
					"default) or the deprecated `v1.0`, for an Atlas deployment that serves only that. Results are the " +
					"same. Export buckets are always read with `v2`, since `v1.0` knows only AWS buckets.",
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
				MarkdownDescription: fmt.Sprintf("Time limit of one HTTP attempt, its wait for a free request slot "+
					"(`max_concurrent_requests`) and reading the body included, as a "+
					"Go duration such as `30s` or `2m`. A hung attempt is abandoned and retried. Defaults to `%s`.",
					durationText(atlas.DefaultRequestTimeout)),
				Optional:   true,
				Validators: []validator.String{durationValidator{}},
			},
			"max_concurrent_requests": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Requests to Atlas in flight at once, across every data source "+
					"this provider configuration reads (Terraform reads several at a time): the pages of long lists, "+
					"single jobs, authentication. `1` sends them one by one. Halved automatically while Atlas "+
					"answers 429. Defaults to %d.",
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
		"access_token": cfg.AccessToken, "public_key": cfg.PublicKey, "private_key": cfg.PrivateKey, "client_id": cfg.ClientID,
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
	pollConfig(&clientCfg)
	credentialSource := resolveCredentials(cfg, &clientCfg, &resp.Diagnostics)

	// An error in a value from the environment names the variable: an
	// attribute error would point at an attribute the user never set.
	baseURL := cfg.BaseURL.ValueString()
	if cfg.BaseURL.IsNull() {
		baseURL = os.Getenv(EnvBaseURL)
	}
	if _, err := atlas.ParseBaseURL(baseURL); err != nil {
		if cfg.BaseURL.IsNull() {
			resp.Diagnostics.AddError("Invalid "+EnvBaseURL,
				fmt.Sprintf("The URL in the environment variable %s is not usable: %v. Correct or unset %s, or set "+
					"base_url in the provider block.", EnvBaseURL, err, EnvBaseURL))
		} else {
			resp.Diagnostics.AddAttributeError(path.Root("base_url"), "Invalid Atlas base URL",
				fmt.Sprintf("The URL is not usable: %v.", err))
		}
	}
	clientCfg.BaseURL = baseURL

	switch {
	case !cfg.MaxRetries.IsNull():
		clientCfg.MaxRetries = int(cfg.MaxRetries.ValueInt64())
	case os.Getenv(EnvMaxRetries) != "":
		n, err := strconv.Atoi(os.Getenv(EnvMaxRetries))
		if err != nil || n < 0 || n > 20 {
			resp.Diagnostics.AddError("Invalid "+EnvMaxRetries,
				fmt.Sprintf("The environment variable %s is %q; it must be a whole number from 0 to 20. Correct or "+
					"unset %s, or set max_retries in the provider block.", EnvMaxRetries, os.Getenv(EnvMaxRetries), EnvMaxRetries))
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
	for _, s := range []string{clientCfg.PrivateKey, clientCfg.ClientSecret, clientCfg.AccessToken} {
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
	// Without it the action gets no provider data.
	resp.ActionData = data
}

func userAgent(version, terraformVersion string) string {
	ua := "terraform-provider-atlasexports/" + version
	if terraformVersion != "" {
		ua += " Terraform/" + terraformVersion
	}
	return ua
}

func (p *atlasExportsProvider) Resources(_ context.Context) []func() resource.Resource {
	return nil
}

func (p *atlasExportsProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{NewExportSnapshotAction}
}

func (p *atlasExportsProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewSnapshotExportsDataSource,
		NewSnapshotExportDataSource,
	}
}

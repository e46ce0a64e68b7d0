// The options of every command that talks to a running service: where it is, and the API key.
import { Option } from 'commander';

/** --server (env DID_NOTARY_SERVER). */
export function serverOption(description = 'base URL of the did-notary service'): Option {
  return new Option('--server <url>', description).env('DID_NOTARY_SERVER');
}

/** --api-key (env DID_NOTARY_API_KEY), required: `scope` says which key the command needs. */
export function apiKeyOption(scope: string): Option {
  return new Option('--api-key <key>', `API key with the ${scope} scope`).env('DID_NOTARY_API_KEY').makeOptionMandatory();
}

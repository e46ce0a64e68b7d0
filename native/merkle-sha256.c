// RFC 9162 leaf and interior-node hashes for Node (src/notarization/native-merkle-hasher.ts), on the
// OpenSSL that Node itself is built with: its SHA-256 uses the CPU's SHA extensions where there are
// some, about three times the WebAssembly SIMD code of src/core/sha256 on this machine's cores.
//
// Node exports OpenSSL's symbols to addons (its headers ship them in include/node/openssl), so the
// addon links against nothing else. It calls the one-message SHA256_Init/Update/Final: OpenSSL 3
// deprecates them for EVP_Digest*, whose per-call provider dispatch costs more than hashing a 65-byte
// message (measured: 7.3 against 21.8 million blocks a second per core). Both run the same block code.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define NODE_BYTES 32
#define LEAF_PREFIX 0x00
#define NODE_PREFIX 0x01
#define LEAVES_PER_SCOPE 256

static napi_value fail(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static int typed_array_bytes(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is_typed_array = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array) return 0;
  if (napi_get_typedarray_info(env, value, &type, length, (void **)data, NULL, NULL) != napi_ok) return 0;
  return type == napi_uint8_array;
}

// hashNodePairs(nodes: Uint8Array, pairCount: number, out: Uint8Array): out[32p..] = SHA-256(0x01 ‖ nodes[64p, 64p + 64)).
static napi_value hash_node_pairs(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint8_t *nodes, *out;
  size_t nodes_length, out_length;
  uint32_t pair_count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return fail(env, "hashNodePairs(nodes, pairCount, out)");
  if (!typed_array_bytes(env, argv[0], &nodes, &nodes_length) || !typed_array_bytes(env, argv[2], &out, &out_length)) return fail(env, "nodes and out must be Uint8Arrays");
  if (napi_get_value_uint32(env, argv[1], &pair_count) != napi_ok) return fail(env, "pairCount must be a number");
  if ((uint64_t)pair_count * 2 * NODE_BYTES > nodes_length || (uint64_t)pair_count * NODE_BYTES > out_length) return fail(env, "nodes or out is shorter than pairCount needs");
  uint8_t message[1 + 2 * NODE_BYTES];
  message[0] = NODE_PREFIX;
  SHA256_CTX context;
  for (uint32_t p = 0; p < pair_count; p++) {
    memcpy(message + 1, nodes + (size_t)p * 2 * NODE_BYTES, 2 * NODE_BYTES);
    SHA256_Init(&context);
    SHA256_Update(&context, message, sizeof message);
    SHA256_Final(out + (size_t)p * NODE_BYTES, &context);
  }
  return NULL;
}

// hashLeaves(leaves: Uint8Array[], first: number, end: number, out: Uint8Array):
// out[32(i - first)..] = SHA-256(0x00 ‖ leaves[i]) for first <= i < end.
static napi_value hash_leaves(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint8_t *out;
  size_t out_length;
  uint32_t first, end, array_length;
  bool is_array = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) return fail(env, "hashLeaves(leaves, first, end, out)");
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[0], &array_length) != napi_ok) return fail(env, "leaves must be an array");
  if (napi_get_value_uint32(env, argv[1], &first) != napi_ok || napi_get_value_uint32(env, argv[2], &end) != napi_ok) return fail(env, "first and end must be numbers");
  if (!typed_array_bytes(env, argv[3], &out, &out_length)) return fail(env, "out must be a Uint8Array");
  if (first > end || end > array_length || (uint64_t)(end - first) * NODE_BYTES > out_length) return fail(env, "the leaf range does not fit leaves or out");
  SHA256_CTX context;
  // Each leaf read makes a handle: scopes of a few hundred keep them from piling up over a whole tree.
  for (uint32_t scope_first = first; scope_first < end; scope_first += LEAVES_PER_SCOPE) {
    uint32_t scope_end = end - scope_first > LEAVES_PER_SCOPE ? scope_first + LEAVES_PER_SCOPE : end;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return fail(env, "no handle scope");
    for (uint32_t i = scope_first; i < scope_end; i++) {
      napi_value leaf;
      napi_typedarray_type type;
      uint8_t *data;
      size_t length;
      if (napi_get_element(env, argv[0], i, &leaf) != napi_ok || napi_get_typedarray_info(env, leaf, &type, &length, (void **)&data, NULL, NULL) != napi_ok ||
          type != napi_uint8_array) {
        napi_close_handle_scope(env, scope);
        return fail(env, "every leaf must be a Uint8Array");
      }
      uint8_t *digest = out + (size_t)(i - first) * NODE_BYTES;
      SHA256_Init(&context);
      if (length < sizeof(uint8_t[64])) {
        // 0x00 ‖ leaf in one update: a leaf is a multihash, 34 bytes for SHA-256 documents.
        uint8_t message[64];
        message[0] = LEAF_PREFIX;
        memcpy(message + 1, data, length);
        SHA256_Update(&context, message, length + 1);
      } else {
        const uint8_t prefix = LEAF_PREFIX;
        SHA256_Update(&context, &prefix, 1);
        SHA256_Update(&context, data, length);
      }
      SHA256_Final(digest, &context);
    }
    napi_close_handle_scope(env, scope);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value function;
  if (napi_create_function(env, "hashNodePairs", NAPI_AUTO_LENGTH, hash_node_pairs, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "hashNodePairs", function) != napi_ok) return NULL;
  if (napi_create_function(env, "hashLeaves", NAPI_AUTO_LENGTH, hash_leaves, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "hashLeaves", function) != napi_ok) return NULL;
  return exports;
}

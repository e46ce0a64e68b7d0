// RFC 9162 interior-node hashes for Node (src/notarization/native-merkle-hasher.ts), on the OpenSSL
// that Node itself is built with: its SHA-256 uses the CPU's SHA extensions where there are some,
// twice the WebAssembly SIMD code of src/core/sha256 on this machine's cores. Two thirds of a tree's
// SHA-256 blocks are interior nodes, read from the tree's own buffer. Leaves are not hashed here:
// handing this code a small Uint8Array makes V8 move its bytes off its heap into a backing store of
// their own, for good (+200 MB of RSS for a 2^20 batch whose leaves stay in memory), and reading
// the leaves out of a JavaScript array cost as much as hashing them in WebAssembly anyway.
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
#define NODE_PREFIX 0x01

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
  double count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return fail(env, "hashNodePairs(nodes, pairCount, out)");
  if (!typed_array_bytes(env, argv[0], &nodes, &nodes_length) || !typed_array_bytes(env, argv[2], &out, &out_length)) return fail(env, "nodes and out must be Uint8Arrays");
  // A double, checked, rather than napi_get_value_uint32, which would quietly wrap or truncate it.
  if (napi_get_value_double(env, argv[1], &count) != napi_ok || !(count >= 0 && count <= 4294967295.0) || count != (double)(uint32_t)count) {
    return fail(env, "pairCount must be a whole number from 0 to 2^32 - 1");
  }
  uint32_t pair_count = (uint32_t)count;
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

NAPI_MODULE_INIT() {
  napi_value function;
  if (napi_create_function(env, "hashNodePairs", NAPI_AUTO_LENGTH, hash_node_pairs, NULL, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "hashNodePairs", function) != napi_ok) return NULL;
  return exports;
}

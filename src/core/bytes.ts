// Byte-array comparison shared by the Merkle proofs and the notary's integrity checks.

/** Whether two byte arrays hold the same bytes (not constant-time: for hashes, not secrets). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

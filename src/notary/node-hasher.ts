// The Merkle hasher used on the server: Node's native SHA-256 behind the core's batch interface.
import { hash } from 'node:crypto';
import { createMerkleHasher } from '../core/merkle-hasher';

export const nodeMerkleHasher = createMerkleHasher((data) => hash('sha256', data, 'buffer'));

// What replicas say in their logs about the anchoring lock: who holds it and when it moved, as the
// replica test and the soak run measure takeovers.
import type { ServiceProcess } from './service-process';

export const TAKEOVER = 'became the sealing and anchoring replica';
const FOLLOWING = 'another replica seals and anchors';

/** When (epoch ms) a replica logged `message`, in order. */
export function logTimes(replica: ServiceProcess, message: string): number[] {
  return replica
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(message))
    .map((line) => Date.parse((JSON.parse(line) as { time: string }).time));
}

/** Whether a replica holds the anchoring lock, by what it last said about it (the first holder says nothing). */
export function isAnchoring(replica: ServiceProcess): boolean {
  const took = logTimes(replica, TAKEOVER).at(-1) ?? 0;
  const follows = logTimes(replica, FOLLOWING).at(-1) ?? 0;
  return took > follows || (took === 0 && follows === 0);
}

/**
 * Display names for runs started without one (docs/run-semantics.md §11):
 * W&B style `adjective-noun-number`, e.g. `stellar-forest-12`, where the
 * number is the run's position in its project when the server names it.
 */

const ADJECTIVES = [
  'amber', 'ancient', 'autumn', 'bold', 'brave', 'bright', 'brisk', 'calm',
  'celestial', 'clear', 'cosmic', 'crimson', 'crisp', 'dainty', 'daring', 'dashing',
  'dazzling', 'deep', 'dry', 'dusky', 'eager', 'earthy', 'electric', 'elegant',
  'ethereal', 'fancy', 'fearless', 'fine', 'floral', 'fluent', 'fragrant', 'fresh',
  'frosty', 'gallant', 'gentle', 'giddy', 'glamorous', 'glowing', 'golden', 'graceful',
  'grand', 'hardy', 'hearty', 'helpful', 'hidden', 'honest', 'icy', 'jolly',
  'kind', 'leafy', 'lemon', 'light', 'lively', 'lucky', 'lunar', 'magic',
  'mellow', 'misty', 'morning', 'noble', 'olive', 'peach', 'polar', 'proud',
  'quiet', 'rare', 'restful', 'robust', 'rosy', 'royal', 'rural', 'rustic',
  'sage', 'serene', 'sharp', 'silent', 'silver', 'smooth', 'snowy', 'solar',
  'sparkling', 'spring', 'stellar', 'still', 'stoic', 'summer', 'sunny', 'swift',
  'tender', 'tidy', 'true', 'vibrant', 'vivid', 'warm', 'wild', 'winter',
] as const;

const NOUNS = [
  'aurora', 'bird', 'blaze', 'blossom', 'breeze', 'brook', 'bush', 'butterfly',
  'canyon', 'cedar', 'cherry', 'cloud', 'comet', 'cosmos', 'dawn', 'deluge',
  'dew', 'dream', 'dune', 'dust', 'eclipse', 'ember', 'feather', 'fern',
  'field', 'firefly', 'flower', 'fog', 'forest', 'frost', 'galaxy', 'glade',
  'glitter', 'grass', 'grove', 'harbor', 'haze', 'hill', 'horizon', 'island',
  'lake', 'leaf', 'lily', 'meadow', 'meteor', 'mist', 'moon', 'morning',
  'mountain', 'music', 'night', 'oasis', 'ocean', 'orbit', 'paper', 'pebble',
  'pine', 'planet', 'plant', 'pond', 'prairie', 'rain', 'resonance', 'river',
  'salad', 'sea', 'shadow', 'shape', 'sky', 'smoke', 'snow', 'snowflake',
  'sound', 'spaceship', 'spark', 'star', 'sun', 'sunset', 'surf', 'thunder',
  'tree', 'valley', 'vortex', 'water', 'wave', 'wildflower', 'wind', 'wood',
] as const;

function pick<T>(list: readonly T[]): T {
  const bytes = new Uint32Array(1);
  globalThis.crypto.getRandomValues(bytes);
  return list[bytes[0]! % list.length]!;
}

/**
 * A readable display name: `<adjective>-<noun>-<number>`. `number` is the
 * run's position in its project (the server's count of runs plus one); a
 * client that cannot know it (an offline run) passes none and gets a random
 * one from 1 to 999.
 *
 * @example
 * generateRunName(12); // e.g. "stellar-forest-12"
 */
export function generateRunName(number?: number): string {
  const n = number !== undefined && Number.isSafeInteger(number) && number > 0 ? number : 1 + (globalThis.crypto.getRandomValues(new Uint32Array(1))[0]! % 999);
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${n}`;
}

/**
 * Kafka's topic name rules (org.apache.kafka.common.internals.Topic), with Kafka 3.9's messages (checked
 * against a 3.9 broker): a name is 1-249
 * characters of ASCII letters, digits, '.', '_' and '-', and is neither "." nor "..". Two names that differ
 * only in '.' versus '_' collide, because Kafka's metric names map both to '_'.
 */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's INVALID_TOPIC_EXCEPTION message for an illegal name, or undefined when the name is legal. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'Topic name is invalid: the empty string is not allowed';
  if (name === '.' || name === '..') return `Topic name is invalid: '${name}' is not allowed`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is invalid: the length of '${name}' is longer than the max allowed length ${MAX_TOPIC_NAME_LENGTH}`;
  }
  if (!LEGAL.test(name)) return `Topic name is invalid: '${name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'`;
  return undefined;
}

/** The form under which two names collide. */
export function unifyCollisionChars(name: string): string {
  return name.replace(/\./g, '_');
}

/** Kafka's internal topics: shown with isInternal in Metadata. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

/** A partition named by topic and index, with a map key that cannot collide (':' is not legal in topic names). */
export interface TopicPartition {
  topic: string;
  partition: number;
}

export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}

/** A set of partitions keyed by topicPartitionKey, iterated in insertion order. */
export class TopicPartitionSet implements Iterable<TopicPartition> {
  private readonly entries = new Map<string, TopicPartition>();

  constructor(partitions: Iterable<TopicPartition> = []) {
    for (const tp of partitions) this.add(tp);
  }

  add(tp: TopicPartition): void {
    this.entries.set(topicPartitionKey(tp), { topic: tp.topic, partition: tp.partition });
  }

  delete(tp: TopicPartition): boolean {
    return this.entries.delete(topicPartitionKey(tp));
  }

  has(tp: TopicPartition): boolean {
    return this.entries.has(topicPartitionKey(tp));
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  [Symbol.iterator](): Iterator<TopicPartition> {
    return this.entries.values();
  }

  /** Whether every partition of `this` is in `other`. */
  isSubsetOf(other: TopicPartitionSet): boolean {
    for (const key of this.entries.keys()) if (!other.entries.has(key)) return false;
    return true;
  }

  equals(other: TopicPartitionSet): boolean {
    return this.size === other.size && this.isSubsetOf(other);
  }

  /** The partitions grouped by topic, topics and partitions in insertion order (as the log value lists them). */
  byTopic(): Map<string, number[]> {
    const grouped = new Map<string, number[]>();
    for (const tp of this.entries.values()) {
      let partitions = grouped.get(tp.topic);
      if (partitions === undefined) {
        partitions = [];
        grouped.set(tp.topic, partitions);
      }
      partitions.push(tp.partition);
    }
    return grouped;
  }
}

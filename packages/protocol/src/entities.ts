/**
 * Branded types for the entities Kafka's specs mark with `entityType`. A topic name and a group id are both
 * strings on the wire, but mixing them up is a bug the compiler can catch. Make one with a cast at the edge where
 * a value enters the system (`name as TopicName`), or with the helpers below.
 */
export type TopicName = string & { readonly __entity: 'topicName' };
export type GroupId = string & { readonly __entity: 'groupId' };
export type TransactionalId = string & { readonly __entity: 'transactionalId' };
export type BrokerId = number & { readonly __entity: 'brokerId' };
export type ProducerId = bigint & { readonly __entity: 'producerId' };

export const asTopicName = (name: string): TopicName => name as TopicName;
export const asGroupId = (id: string): GroupId => id as GroupId;
export const asTransactionalId = (id: string): TransactionalId => id as TransactionalId;
export const asBrokerId = (id: number): BrokerId => id as BrokerId;
export const asProducerId = (id: bigint): ProducerId => id as ProducerId;

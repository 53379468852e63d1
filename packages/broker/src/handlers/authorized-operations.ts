/**
 * The authorized-operations bit fields of Metadata and DescribeCluster. Without an authorizer Kafka reports
 * every operation the resource type supports (bit n set for AclOperation code n); when the client does not ask,
 * it sends Integer.MIN_VALUE, "omitted". The sets are what a Kafka 3.9 broker reports (topic 3576, cluster 8096).
 */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

enum AclOperation {
  Read = 3,
  Write = 4,
  Create = 5,
  Delete = 6,
  Alter = 7,
  Describe = 8,
  ClusterAction = 9,
  DescribeConfigs = 10,
  AlterConfigs = 11,
  IdempotentWrite = 12,
  CreateTokens = 13,
  DescribeTokens = 14,
}

const bits = (...operations: AclOperation[]): number => operations.reduce((field, op) => field | (1 << op), 0);

export const TOPIC_OPERATIONS = bits(
  AclOperation.Read,
  AclOperation.Write,
  AclOperation.Create,
  AclOperation.Delete,
  AclOperation.Alter,
  AclOperation.Describe,
  AclOperation.DescribeConfigs,
  AclOperation.AlterConfigs,
);

export const CLUSTER_OPERATIONS = bits(
  AclOperation.Create,
  AclOperation.Alter,
  AclOperation.Describe,
  AclOperation.ClusterAction,
  AclOperation.DescribeConfigs,
  AclOperation.AlterConfigs,
  AclOperation.IdempotentWrite,
);

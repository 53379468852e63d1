/**
 * DescribeCluster (key 60), versions 0-1.
 * Behaviour: the brokers (their endpoints on the request's listener), the cluster id, the controller.
 * v1 endpointType: 1 (brokers) is answered; 2 (controllers) is UNSUPPORTED_ENDPOINT_TYPE, as a Kafka broker
 * answers it (only KRaft controllers serve that).
 */
import { ApiKey, ErrorCode, asBrokerId } from '@tributary/protocol';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_OPERATIONS } from './authorized-operations';
import { brokersOnListener } from './broker-endpoints';
import { defineHandler } from './handler';

const ENDPOINT_TYPE_BROKERS = 1;

export const describeClusterHandler = defineHandler({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(request, context) {
    const { metadata } = context.services;
    const endpointType = context.apiVersion >= 1 ? request.endpointType : ENDPOINT_TYPE_BROKERS;
    const base = {
      throttleTimeMs: 0,
      endpointType,
      clusterId: metadata.clusterId,
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
    };
    if (endpointType !== ENDPOINT_TYPE_BROKERS) {
      return {
        ...base,
        errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: `The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type ${endpointType === 2 ? 'CONTROLLER' : 'UNKNOWN'}`,
        controllerId: asBrokerId(-1),
        brokers: [],
      };
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      controllerId: metadata.controllerId(),
      brokers: brokersOnListener(metadata, context.connection.listenerName),
    };
  },
});

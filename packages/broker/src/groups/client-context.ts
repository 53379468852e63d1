import { ClientContext } from '@tributary/group-coordinator';
import { RequestContext } from '../handlers/handler';

/**
 * Who sent a group request, as Kafka records it on a member: the client id from the header and the client's
 * address as Java's InetAddress.toString() prints it ("/127.0.0.1"), without the port.
 */
export function clientContext(context: RequestContext): ClientContext {
  const address = context.connection.remoteAddress;
  const portAt = address.lastIndexOf(':');
  const host = portAt > 0 ? address.slice(0, portAt) : address;
  return { apiVersion: context.apiVersion, clientId: context.clientId ?? '', clientHost: `/${host.replace(/^::ffff:/, '')}` };
}

package io.cqrs.rabbitmq;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.AddressResolver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * The broker nodes a bus connects to: a fixed list of addresses, or a caller's {@link
 * AddressResolver} (DNS, service discovery) asked again at every attempt.
 *
 * <p>A fixed list is shuffled once, when the bus is built, so that the processes of a deployment
 * spread over the nodes. Each connection of the bus gets a resolver of its own that starts one node
 * further along than the previous connection, and every time it is asked (the first connection,
 * each attempt to recover) it starts one node further along again: an attempt tries every node,
 * beginning with one the last attempt did not begin with, so that a node that takes connections but
 * never answers (a hung host) costs at most one handshake timeout per attempt, not every attempt.
 *
 * <p>Immutable and thread-safe; the resolvers it hands out are used by one connection each.
 */
final class BrokerAddresses {
  private final List<Address> nodes; // null when resolved by the caller
  private final AddressResolver resolver; // null for a fixed list
  private final String virtualHost;
  private final AtomicInteger connections = new AtomicInteger();

  private BrokerAddresses(List<Address> nodes, AddressResolver resolver, String virtualHost) {
    this.nodes = nodes;
    this.resolver = resolver;
    this.virtualHost = virtualHost;
  }

  /**
   * A fixed list of nodes, in an order shuffled for this bus.
   *
   * @throws IllegalArgumentException if {@code nodes} is empty
   */
  static BrokerAddresses of(List<Address> nodes, String virtualHost) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("addresses must name at least one broker node");
    }
    List<Address> shuffled = new ArrayList<>(nodes);
    Collections.shuffle(shuffled, ThreadLocalRandom.current());
    return new BrokerAddresses(List.copyOf(shuffled), null, virtualHost);
  }

  /** The nodes the caller's resolver names, asked at every attempt to connect. */
  static BrokerAddresses resolvedBy(AddressResolver resolver, String virtualHost) {
    return new BrokerAddresses(
        null, Objects.requireNonNull(resolver, "addressResolver"), virtualHost);
  }

  /** The nodes in the order this bus tries them first, or {@code null} for a caller's resolver. */
  List<Address> nodes() {
    return nodes;
  }

  /**
   * The nodes as {@code host:port,host:port/vhost}, or the resolver's class for a caller's
   * resolver: never credentials.
   */
  String describe() {
    String where =
        nodes == null
            ? "the nodes of " + resolver.getClass().getSimpleName()
            : nodes.stream().map(BrokerAddresses::describe).collect(Collectors.joining(","));
    return where + "/" + virtualHost;
  }

  /** One node as {@code host:port}, IPv6 literals in brackets. */
  static String describe(Address address) {
    String host = address.getHost();
    return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host)
        + ":"
        + address.getPort();
  }

  /** A resolver for one new connection of the bus; see the class comment. */
  AddressResolver forConnection() {
    if (resolver != null) {
      return resolver;
    }
    return new Rotating(nodes, connections.getAndIncrement());
  }

  /**
   * Parses one node, {@code host}, {@code host:port}, {@code [ipv6]} or {@code [ipv6]:port}.
   *
   * @param defaultPort the port when none is given
   * @param setting the setting's name, for the error
   * @throws IllegalArgumentException naming the setting if it is not such an address
   */
  static Address parse(String address, int defaultPort, String setting) {
    Objects.requireNonNull(address, setting);
    String text = address.strip();
    String host;
    String port = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw invalid(setting, "an IPv6 address in brackets has no closing ']'");
      }
      host = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw invalid(setting, "expected ':port' after the IPv6 address");
        }
        port = rest.substring(1);
      }
    } else {
      int colon = text.indexOf(':');
      if (colon >= 0 && text.indexOf(':', colon + 1) >= 0) {
        throw invalid(setting, "an IPv6 address must be written in brackets, as [::1]:5672");
      }
      host = colon < 0 ? text : text.substring(0, colon);
      port = colon < 0 ? null : text.substring(colon + 1);
    }
    if (host.isEmpty() || !host.chars().allMatch(BrokerAddresses::isHostChar)) {
      throw invalid(
          setting, "the host must be a name or an IP address (letters, digits, '.', '-', ':')");
    }
    return new Address(host, port == null ? defaultPort : port(port, setting));
  }

  private static boolean isHostChar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '-'
        || c == ':'
        || c == '%';
  }

  private static int port(String text, String setting) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
      throw invalid(setting, "the port must be a number from 1 to 65535");
    }
    int port = Integer.parseInt(text);
    if (port < 1 || port > 65535) {
      throw invalid(setting, "the port must be a number from 1 to 65535, was " + port);
    }
    return port;
  }

  private static IllegalArgumentException invalid(String setting, String why) {
    // The address is not quoted: it came from configuration that may hold more than an address.
    return new IllegalArgumentException(setting + " is not a broker address: " + why);
  }

  /** Every node, starting one further along at each call; never shuffled again. */
  private static final class Rotating implements AddressResolver {
    private final List<Address> nodes;
    private int next; // confined to the connection's recovery, one attempt at a time

    Rotating(List<Address> nodes, int start) {
      this.nodes = nodes;
      this.next = Math.floorMod(start, nodes.size());
    }

    @Override
    public synchronized List<Address> getAddresses() throws IOException {
      List<Address> order = new ArrayList<>(nodes.size());
      for (int i = 0; i < nodes.size(); i++) {
        order.add(nodes.get((next + i) % nodes.size()));
      }
      next = (next + 1) % nodes.size();
      return order;
    }

    @Override
    public List<Address> maybeShuffle(List<Address> input) {
      return input;
    }
  }
}

package io.cqrs.spring;

import com.couchbase.client.core.msg.kv.DurabilityLevel;
import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.Collection;
import io.cqrs.EventSerializer;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import java.util.Locale;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Couchbase event store, with {@code cqrs.store.type=couchbase}: on the application's own
 * Couchbase {@link Cluster} bean (Spring Boot's, from {@code spring.couchbase.*}) when it has one,
 * so that the application keeps one connection pool; else connected by the store itself from {@code
 * cqrs.store.couchbase.connection-string}, username and password.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(
    name = {
      "io.cqrs.couchbase.CouchbaseEventStreamRepository",
      "com.couchbase.client.java.Cluster"
    })
@ConditionalOnCqrsType(property = "cqrs.store.type", value = "couchbase")
class CqrsCouchbaseConfiguration {

  @Bean
  @ConditionalOnMissingBean(EventStreamRepository.class)
  CouchbaseEventStreamRepository cqrsStore(
      CqrsProperties properties,
      EventSerializer serializer,
      ObjectProvider<Cluster> clusters,
      ListableBeanFactory beanFactory) {
    CqrsProperties.Couchbase settings = properties.getStore().getCouchbase();
    String bucketName = required(settings.getBucket(), "cqrs.store.couchbase.bucket");
    DurabilityLevel durability = durability(settings.getDurability());
    if ((settings.getScope() == null) != (settings.getCollection() == null)) {
      throw new IllegalStateException(
          "cqrs.store.couchbase.scope and cqrs.store.couchbase.collection go together");
    }
    // Judged before the application's Cluster is made (which connects): one Cluster bean is the
    // one the store would use.
    if (beanFactory.getBeanNamesForType(Cluster.class, true, false).length == 1) {
      refuseOwnConnection(settings);
    }
    Cluster cluster = clusters.getIfUnique();
    if (cluster != null) {
      refuseOwnConnection(settings);
      Bucket bucket =
          CouchbaseEventStreamRepository.awaitReady(
              cluster.bucket(bucketName), settings.getConnectTimeout());
      Collection collection =
          settings.getScope() == null
              ? bucket.defaultCollection()
              : bucket.scope(settings.getScope()).collection(settings.getCollection());
      return SettingErrors.naming(
          "cqrs.store.couchbase.",
          CqrsProperties.Couchbase.class,
          () ->
              CouchbaseEventStreamRepository.builder(collection, serializer)
                  .keyPrefix(settings.getKeyPrefix())
                  .durability(durability)
                  .build());
    }
    String connectionString =
        required(
            settings.getConnectionString(),
            "cqrs.store.couchbase.connection-string (or spring.couchbase.connection-string"
                + " for a Cluster bean)");
    String username = required(settings.getUsername(), "cqrs.store.couchbase.username");
    String password = required(settings.getPassword(), "cqrs.store.couchbase.password");
    return SettingErrors.naming(
        "cqrs.store.couchbase.",
        CqrsProperties.Couchbase.class,
        () -> {
          CouchbaseEventStreamRepository.Builder builder =
              CouchbaseEventStreamRepository.builder(connectionString, serializer)
                  .credentials(username, password)
                  .bucket(bucketName)
                  .keyPrefix(settings.getKeyPrefix())
                  .durability(durability)
                  .connectTimeout(settings.getConnectTimeout());
          if (settings.getScope() != null) {
            builder.collection(settings.getScope(), settings.getCollection());
          }
          return builder.build();
        });
  }

  /**
   * Refuses the settings of the store's own connection beside the application's {@code Cluster},
   * which the store uses instead: a connection string would be a second pool, and credentials would
   * be dropped in silence (the store would run as Spring Boot's {@code spring.couchbase.username}).
   */
  private static void refuseOwnConnection(CqrsProperties.Couchbase settings) {
    if (settings.getConnectionString() != null) {
      throw new IllegalStateException(
          "cqrs.store.couchbase.connection-string is set, but the application has a Couchbase"
              + " Cluster bean (spring.couchbase.*): the store uses that cluster; remove one");
    }
    if (settings.getUsername() != null || settings.getPassword() != null) {
      throw new IllegalStateException(
          "cqrs.store.couchbase.username and .password apply only when the store connects itself,"
              + " but the application has a Couchbase Cluster bean (spring.couchbase.*): the store"
              + " uses that cluster and its credentials (spring.couchbase.username); remove them");
    }
  }

  private static DurabilityLevel durability(String name) {
    try {
      return DurabilityLevel.valueOf(
          String.valueOf(name).trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      // The enum's own message adds nothing to this one.
      throw new IllegalStateException(
          "cqrs.store.couchbase.durability must be none, majority, majority-and-persist-to-active"
              + " or persist-to-majority, was '"
              + name
              + "'");
    }
  }

  static String required(String value, String property) {
    if (value == null || value.isBlank()) {
      throw new IllegalStateException("Missing setting: " + property);
    }
    return value;
  }
}

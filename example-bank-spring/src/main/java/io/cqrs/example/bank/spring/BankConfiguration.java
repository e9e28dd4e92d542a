package io.cqrs.example.bank.spring;

import com.couchbase.client.java.Cluster;
import io.cqrs.Cqrs;
import io.cqrs.TypeRegistry;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.domain.AccountCommandHandlers;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommandHandlers;
import io.cqrs.example.bank.domain.TransferProcess;
import io.cqrs.example.bank.readmodel.AccountsReadModel;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.example.bank.readmodel.CouchbaseViewStores;
import io.cqrs.example.bank.readmodel.TransfersReadModel;
import io.cqrs.example.bank.readmodel.UsersReadModel;
import io.cqrs.example.bank.readmodel.ViewStores;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spring.CqrsConfigurer;
import io.cqrs.spring.CqrsProperties;
import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.catalina.core.StandardHost;
import org.apache.coyote.ContinueResponseTiming;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.type.LogicalType;

/**
 * What the bank adds to the auto-configured cqrs: its types, its read models (each a projection
 * bean, so the starter runs it as a tracking processor named after the bean) and, on a worker, its
 * command handlers and transfer process.
 *
 * <p>With {@code bank.worker=false} an instance takes HTTP requests, sends commands on the bus and
 * serves the read models, and leaves the commands to the workers.
 */
@Configuration(proxyBeanMethods = false)
public class BankConfiguration {

  /** The bank's aggregates, events and commands, the allow-list of what is deserialized. */
  @Bean
  TypeRegistry bankTypes() {
    return BankTypes.registry();
  }

  /**
   * Request bodies read strictly by the JSON mapper that reads {@code @RequestBody} (Spring Boot
   * 4's Jackson 3 {@code JsonMapper}): an unknown field, a duplicate key, a null for a primitive,
   * data after the object, or a number or boolean where text belongs ({@code "firstName": 5}) is
   * refused (a 400 from {@link BankProblems}) rather than ignored or coerced.
   */
  @Bean
  JsonMapperBuilderCustomizer strictRequestBodies() {
    return builder ->
        builder
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(
                DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
                DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
                DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .withCoercionConfig(
                LogicalType.Textual,
                text ->
                    text.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail));
  }

  /**
   * Query strings, bodies and the error page's path checked before Tomcat or Spring parse anything
   * ({@link RequestGate}): bodies over 64 KiB, bodies that are not UTF-8 JSON, malformed
   * percent-encoding, chunked bodies, bodies that take longer than {@code bank.http.body-timeout}
   * (10 s), and more than {@code bank.http.body-readers} (32) bodies arriving at once. A bean
   * {@code bankHttpClock} (a test's) replaces the monotonic time the body timeout is measured with.
   */
  @Bean
  FilterRegistrationBean<RequestGate> requestGate(
      @Value("${bank.http.body-readers:32}") int bodyReaders,
      @Value("${bank.http.body-timeout:10s}") Duration bodyTimeout,
      @Qualifier("bankHttpClock") ObjectProvider<Clock> clock) {
    FilterRegistrationBean<RequestGate> registration =
        new FilterRegistrationBean<>(
            new RequestGate(bodyReaders, bodyTimeout, nanoTime(clock.getIfAvailable())));
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
    return registration;
  }

  private static LongSupplier nanoTime(Clock clock) {
    return clock == null ? System::nanoTime : () -> clock.millis() * 1_000_000L;
  }

  /**
   * Connections of requests {@link RequestGate} refused are closed without reading the rest of
   * their bodies ({@link UnreadBodyValve}).
   */
  @Bean
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> unreadBodies() {
    // On the engine, outermost: the close it asks for is an error state, which inside the host
    // would have Tomcat forward the response to the error page, replacing the refusal's problem.
    return factory -> factory.addEngineValves(new UnreadBodyValve());
  }

  /**
   * A client that asks {@code Expect: 100-continue} is told to send its body only once the
   * application reads it ({@link RequestGate} does, after its checks), not as soon as the headers
   * are in (Tomcat's default): a request refused 411, 413, 415 or 503 is answered before its client
   * has sent a byte of the body, and the connection closes without it.
   */
  @Bean
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> continueOnRead() {
    return factory ->
        factory.addConnectorCustomizers(
            connector -> {
              if (connector.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
                http.setContinueResponseTiming(
                    ContinueResponseTiming.ON_REQUEST_BODY_READ.toString());
              }
            });
  }

  /**
   * Tomcat's own error answers, which no servlet sees (a malformed request line or path, a header
   * too large), as problems too ({@link ProblemReportValve}) instead of Tomcat's HTML page.
   */
  @Bean
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemReports() {
    return factory ->
        factory.addContextCustomizers(
            context ->
                ((StandardHost) context.getParent())
                    .setErrorReportValveClass(ProblemReportValve.class.getName()));
  }

  /** Hashes passwords before they go into a command. */
  @Bean
  PasswordHasher passwordHasher() {
    return new PasswordHasher();
  }

  /**
   * Where the read models keep their views: beside the events, in the bucket of the event store,
   * when the store is Couchbase (so every instance serves the same views and a restart keeps them);
   * in memory with the in-memory store.
   */
  @Bean
  ViewStores bankViews(CqrsProperties cqrs, ObjectProvider<Cluster> clusters) {
    if (cqrs.getStore().getType() != CqrsProperties.StoreType.COUCHBASE) {
      return ViewStores.inMemory();
    }
    Cluster cluster = clusters.getIfUnique();
    if (cluster == null) {
      throw new IllegalStateException(
          "The bank keeps its read models in Couchbase with the store: set spring.couchbase.*");
    }
    CqrsProperties.Couchbase settings = cqrs.getStore().getCouchbase();
    return new CouchbaseViewStores(
        cluster.bucket(settings.getBucket()).defaultCollection(), settings.getKeyPrefix());
  }

  /** The read models on those views. */
  @Bean
  BankReadModels bankReadModels(EventStreamRepository store, ViewStores views) {
    return new BankReadModels(store, views);
  }

  /**
   * The accounts read model; a projection bean, so its processor is named {@code bank-accounts}.
   */
  @Bean("bank-accounts")
  AccountsReadModel accounts(BankReadModels readModels) {
    return readModels.accounts();
  }

  /** The users read model, processor {@code bank-users}. */
  @Bean("bank-users")
  UsersReadModel users(BankReadModels readModels) {
    return readModels.users();
  }

  /** The transfers read model, processor {@code bank-transfers}. */
  @Bean("bank-transfers")
  TransfersReadModel transfers(BankReadModels readModels) {
    return readModels.transfers();
  }

  /** On a worker (the default): the command handlers and the transfer process. */
  @Bean
  @ConditionalOnProperty(name = "bank.worker", havingValue = "true", matchIfMissing = true)
  CqrsConfigurer bankWorker() {
    return new CqrsConfigurer() {
      @Override
      public void register(Cqrs cqrs) {
        AccountCommandHandlers.register(cqrs);
        TransferCommandHandlers.register(cqrs);
        new TransferProcess(cqrs.repository(), cqrs.commandBus())
            .register(cqrs, Bank.TRANSFER_PROCESS, Bank.READ_MODEL_SEGMENTS);
      }
    };
  }
}

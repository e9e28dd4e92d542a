package io.cqrs.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.AggregateCache;
import io.cqrs.Cqrs;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.interceptor.AggregateInterceptor;
import io.cqrs.interceptor.CommandDispatchInterceptor;
import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.interceptor.EventPublishInterceptor;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.EventStreamRepository;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.BeanCurrentlyInCreationException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.core.env.Environment;

/**
 * Builds the application's {@link Cqrs} from {@code cqrs.*} properties and the beans it finds: the
 * type registry, the serializer (on the application's Jackson 2 {@code ObjectMapper} if it has
 * one), the store and buses (in memory unless {@code cqrs.store.type} or {@code cqrs.bus.type} say
 * otherwise), the interceptor beans, and {@link CqrsConfigurer}s; then the repository and the
 * {@link CqrsLifecycle} that registers the command handlers and processors of the context and
 * starts and stops it with the context.
 *
 * <p>Every bean backs off when the application defines its own of the same type.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jackson2.autoconfigure.Jackson2AutoConfiguration",
      "org.springframework.boot.couchbase.autoconfigure.CouchbaseAutoConfiguration",
      "org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration"
    })
@EnableConfigurationProperties(CqrsProperties.class)
@Import({CqrsCouchbaseConfiguration.class, CqrsRabbitConfiguration.class})
public class CqrsAutoConfiguration {
  private static final String STORE_TYPE = "cqrs.store.type";
  private static final String BUS_TYPE = "cqrs.bus.type";
  private static final Logger log = LoggerFactory.getLogger(CqrsAutoConfiguration.class);
  private static final List<Class<?>> INTERCEPTOR_TYPES =
      List.of(
          CommandDispatchInterceptor.class,
          CommandHandlerInterceptor.class,
          EventPublishInterceptor.class,
          EventHandlerInterceptor.class,
          AggregateInterceptor.class);

  /** The auto-configuration; Spring creates it. */
  public CqrsAutoConfiguration() {}

  /**
   * An empty registry: register aggregates with a {@link CqrsConfigurer}, or declare a {@link
   * TypeRegistry} bean of your own that holds them.
   */
  @Bean
  @ConditionalOnMissingBean
  public TypeRegistry cqrsTypeRegistry() {
    return new TypeRegistry();
  }

  /**
   * The serializer of the store and the buses: on a copy of the application's Jackson 2 {@code
   * ObjectMapper} (its modules and settings, with cqrs's added) when it has exactly one, else on
   * cqrs's own. Spring Boot 4's default Jackson 3 {@code JsonMapper} is a different library and is
   * not used.
   */
  @Bean
  @ConditionalOnMissingBean
  public EventSerializer cqrsEventSerializer(
      TypeRegistry types, ObjectProvider<ObjectMapper> objectMapper) {
    ObjectMapper mapper = objectMapper.getIfUnique();
    return mapper == null ? new EventSerializer(types) : new EventSerializer(types, mapper);
  }

  /**
   * The in-memory store, unless {@code cqrs.store.type} names another. It keeps what the serializer
   * reads back of each event, so that an event that could not be stored or sent in production fails
   * its save here too.
   */
  @Bean
  @ConditionalOnMissingBean(EventStreamRepository.class)
  @ConditionalOnCqrsType(property = STORE_TYPE, value = "memory")
  public InMemoryEventStreamRepository cqrsStore(EventSerializer serializer) {
    return InMemoryEventStreamRepository.serializing(serializer);
  }

  /**
   * The in-memory command bus, unless {@code cqrs.bus.type} names another. It delivers what the
   * serializer reads back of each command, as the store keeps what it reads back of each event, so
   * that a command that could not be sent through RabbitMQ fails its send here too.
   */
  @Bean
  @ConditionalOnMissingBean(CommandBus.class)
  @ConditionalOnCqrsType(property = BUS_TYPE, value = "memory")
  public InMemoryCommandBus cqrsCommandBus(EventSerializer serializer) {
    return InMemoryCommandBus.serializing(serializer);
  }

  /**
   * The in-memory event bus, unless {@code cqrs.bus.type} names another. Like the command bus it
   * delivers what the serializer reads back, so that an event RabbitMQ would refuse (over its
   * default 16 MiB) fails its publish here too.
   */
  @Bean
  @ConditionalOnMissingBean(EventBus.class)
  @ConditionalOnCqrsType(property = BUS_TYPE, value = "memory")
  public InMemoryEventBus cqrsEventBus(EventSerializer serializer) {
    return InMemoryEventBus.serializing(serializer);
  }

  /**
   * The application's {@link Cqrs}, not started: {@link CqrsLifecycle} registers handlers and
   * starts it with the context. The store and buses are beans, closed by the context after it.
   */
  @Bean
  @ConditionalOnMissingBean
  public Cqrs cqrs(
      CqrsProperties properties,
      TypeRegistry types,
      ObjectProvider<EventStreamRepository> store,
      ObjectProvider<CommandBus> commandBus,
      ObjectProvider<EventBus> eventBus,
      ObjectProvider<CqrsConfigurer> configurers,
      ConfigurableListableBeanFactory beanFactory,
      Environment environment) {
    EventStreamRepository theStore =
        required(store, "an event store", STORE_TYPE, properties.getStore().getType());
    CommandBus theCommandBus =
        required(commandBus, "a command bus", BUS_TYPE, properties.getBus().getType());
    checkDeduplication(properties.getDeduplication());
    checkSnapshots(properties.getSnapshots(), environment);
    checkBackends(
        properties,
        theStore,
        theCommandBus,
        autoConfigured(beanFactory, theStore, EventStreamRepository.class),
        autoConfigured(beanFactory, theCommandBus, CommandBus.class),
        environment);
    Cqrs.Builder builder =
        SettingErrors.naming(
            "cqrs.bus.",
            CqrsProperties.Bus.class,
            () ->
                Cqrs.builder()
                    .types(types)
                    .store(theStore)
                    .commandBus(theCommandBus)
                    .eventBus(
                        required(eventBus, "an event bus", BUS_TYPE, properties.getBus().getType()))
                    .service(properties.getService())
                    .shutdownTimeout(properties.getShutdownTimeout())
                    .commandListeners(properties.getBus().getCommandListeners())
                    .eventListeners(properties.getBus().getEventListeners())
                    .publishAsynchronously(properties.getBus().isPublishAsynchronously())
                    .relay(properties.getRelay().isEnabled())
                    .deduplicate(properties.getDeduplication().isEnabled())
                    .lookupProvesEffects(properties.getDeduplication().isLookupProvesEffects())
                    .recordNoEffect(properties.getDeduplication().isRecordNoEffect())
                    .deferCacheChecks(properties.getCache().isDeferChecks())
                    .snapshotPolicy(snapshotPolicy(properties.getSnapshots())));
    if (properties.getCache().getMaximumSize() > 0) {
      builder.aggregateCache(AggregateCache.maximumSize(properties.getCache().getMaximumSize()));
    }
    List<Object> interceptors;
    try {
      interceptors = interceptors(beanFactory);
    } catch (BeansException e) {
      throw interceptorNeedsWhatItIntercepts(e);
    }
    if (!interceptors.isEmpty()) {
      builder.interceptors(interceptors.toArray());
    }
    try {
      configurers.orderedStream().forEach(configurer -> configurer.configure(builder));
    } catch (BeansException e) {
      throw needsWhatItConfigures(e);
    }
    return builder.build();
  }

  /**
   * A configurer bean that needs the {@link Cqrs} (directly, through the repository, or through a
   * bean that needs either) cannot be made while the {@link Cqrs} it configures is being built;
   * Spring's own message names the beans in the circle but not the way out, so this one does.
   */
  private static BeansException needsWhatItConfigures(BeansException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof BeanCurrentlyInCreationException inCreation) {
        // Whichever bean of the circle was asked for first ('cqrs', 'cqrsRepository', a handler
        // that needs the repository) is the one found in creation.
        return new BeanCreationException(
            "cqrs",
            "A CqrsConfigurer bean, or a bean it needs, is in a circular reference ('"
                + inCreation.getBeanName()
                + "' was being made). If it needs the Cqrs it configures (directly, through the"
                + " EventSourcingRepository or through a bean that needs either), that Cqrs is"
                + " built only after every configurer's configure(builder): inject"
                + " ObjectProvider<EventSourcingRepository> (or ObjectProvider<Cqrs>) and call"
                + " getObject() in register(Cqrs), which runs once the Cqrs exists, or use"
                + " cqrs.repository() there",
            e);
      }
    }
    return e;
  }

  /**
   * An interceptor bean is handed to the {@link Cqrs} as it is built, so one that needs the {@link
   * Cqrs} (or the repository, or a bean that needs either: an auditing interceptor that loads
   * aggregates) is in a circle that Spring's message names without the way out.
   */
  private static BeansException interceptorNeedsWhatItIntercepts(BeansException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof BeanCurrentlyInCreationException inCreation) {
        return new BeanCreationException(
            "cqrs",
            "An interceptor bean, or a bean it needs, is in a circular reference ('"
                + inCreation.getBeanName()
                + "' was being made). Interceptors are handed to the Cqrs as it is built, so one"
                + " cannot take the Cqrs, the EventSourcingRepository or a bean that needs either"
                + " as a constructor or @Bean method argument: inject"
                + " ObjectProvider<EventSourcingRepository> (or ObjectProvider<Cqrs>) and call"
                + " getObject() when intercepting",
            e);
      }
    }
    return e;
  }

  /** The repository of every aggregate: {@code get(id, Account::new)}, {@code save(...)}. */
  @Bean
  @ConditionalOnMissingBean
  public EventSourcingRepository cqrsRepository(Cqrs cqrs) {
    return cqrs.repository();
  }

  /** Registers the context's handlers and processors, and starts and stops the {@link Cqrs}. */
  @Bean
  @ConditionalOnMissingBean
  public CqrsLifecycle cqrsLifecycle(
      Cqrs cqrs,
      CqrsProperties properties,
      ObjectProvider<CqrsConfigurer> configurers,
      ConfigurableListableBeanFactory beanFactory) {
    return new CqrsLifecycle(cqrs, properties, configurers, beanFactory);
  }

  /**
   * The properties under {@code prefix} that the environment sets, in any of Spring's spellings
   * (properties, YAML, environment variables): a setting of a backend not in use must fail the
   * start even where it equals the default or a field the check below does not read. A key set to
   * nothing ({@code cqrs.bus.rabbitmq.uri=${RABBIT_URI:}}, in properties every environment shares)
   * sets nothing.
   */
  static List<String> setUnder(Environment environment, String prefix) {
    ConfigurationPropertyName root = ConfigurationPropertyName.of(prefix);
    Set<String> found = new TreeSet<>();
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (source instanceof IterableConfigurationPropertySource iterable) {
        iterable.filter(root::isAncestorOf).stream()
            .filter(name -> !isEmpty(iterable.getConfigurationProperty(name)))
            .forEach(name -> found.add(name.toString()));
      }
    }
    return List.copyOf(found);
  }

  private static boolean isEmpty(ConfigurationProperty property) {
    return property != null
        && property.getValue() instanceof CharSequence value
        && value.toString().isBlank();
  }

  /**
   * Refuses the settings under {@code prefix}, of a backend not in use: those the environment sets,
   * named in the message, or {@code boundSet} (properties bound some other way).
   *
   * @param notInUse why the backend is not in use and how to use it
   */
  private static void refuseUnused(
      Environment environment, String prefix, boolean boundSet, String notInUse) {
    List<String> set = setUnder(environment, prefix);
    if (set.isEmpty() && !boundSet) {
      return;
    }
    throw new IllegalStateException(
        prefix
            + ".* is set"
            + (set.isEmpty() ? "" : " (" + String.join(", ", set) + ")")
            + ", but "
            + notInUse
            + ", or remove those settings");
  }

  /**
   * Refuses {@code lookup-proves-effects} without {@code enabled}: the dispatch manager's own
   * refusal ({@code lookupProvesEffects needs deduplicate(true)}) names neither property.
   */
  static void checkDeduplication(CqrsProperties.Deduplication deduplication) {
    if (deduplication.isLookupProvesEffects() && !deduplication.isEnabled()) {
      throw new IllegalStateException(
          "cqrs.deduplication.lookup-proves-effects=true needs cqrs.deduplication.enabled=true"
              + " (the look-up it relies on), which is false: enable deduplication or remove"
              + " lookup-proves-effects");
    }
    if (deduplication.isRecordNoEffect() && !deduplication.isEnabled()) {
      throw new IllegalStateException(
          "cqrs.deduplication.record-no-effect=true needs cqrs.deduplication.enabled=true"
              + " (the look-up that reads what it records), which is false: enable deduplication"
              + " or remove record-no-effect");
    }
  }

  /**
   * Refuses {@code cqrs.snapshots.every} beside a mode that takes no count: {@code every=50} alone
   * left the default {@code when-suggested} in force, the count dropped in silence.
   */
  static void checkSnapshots(CqrsProperties.Snapshots snapshots, Environment environment) {
    if (snapshots.getMode() != CqrsProperties.SnapshotMode.EVERY
        && setUnder(environment, "cqrs.snapshots").contains("cqrs.snapshots.every")) {
      throw new IllegalStateException(
          "cqrs.snapshots.every is set, but cqrs.snapshots.mode is "
              + snapshots.getMode().name().toLowerCase(Locale.ROOT).replace('_', '-')
              + ", which takes no count: set cqrs.snapshots.mode=every, or remove"
              + " cqrs.snapshots.every");
    }
  }

  /**
   * Refuses settings of a store or bus that is not the one in use (a RabbitMQ URI beside the
   * in-memory buses is a forgotten {@code cqrs.bus.type}), and warns of an in-memory store behind
   * buses that other processes share: each instance would keep events of its own.
   *
   * <p>Only the type properties and the auto-configured beans are judged: a store or bus bean of
   * the application's replaces whatever {@code cqrs.store.*} or {@code cqrs.bus.*} describe, on
   * purpose (an in-memory store in a test of an application configured for Couchbase), so its
   * settings are not a forgotten type.
   *
   * @param storeAutoConfigured whether {@code store} is this auto-configuration's
   * @param busAutoConfigured whether {@code commandBus} is this auto-configuration's
   */
  static void checkBackends(
      CqrsProperties properties,
      EventStreamRepository store,
      CommandBus commandBus,
      boolean storeAutoConfigured,
      boolean busAutoConfigured,
      Environment environment) {
    if (storeAutoConfigured && properties.getStore().getType() == CqrsProperties.StoreType.MEMORY) {
      CqrsProperties.Couchbase couchbase = properties.getStore().getCouchbase();
      refuseUnused(
          environment,
          "cqrs.store.couchbase",
          couchbase.getBucket() != null
              || couchbase.getConnectionString() != null
              || !"none".equalsIgnoreCase(couchbase.getDurability().trim()),
          "the store is in memory (cqrs.store.type=memory): set cqrs.store.type=couchbase to use"
              + " Couchbase");
    }
    if (busAutoConfigured && properties.getBus().getType() == CqrsProperties.BusType.MEMORY) {
      CqrsProperties.Rabbitmq rabbitmq = properties.getBus().getRabbitmq();
      refuseUnused(
          environment,
          "cqrs.bus.rabbitmq",
          rabbitmq.getUri() != null || !rabbitmq.isDeclareTopology(),
          "the buses are in memory (cqrs.bus.type=memory): set cqrs.bus.type=rabbitmq to use"
              + " RabbitMQ");
    }
    if (store instanceof InMemoryEventStreamRepository
        && !(commandBus instanceof InMemoryCommandBus)) {
      log.warn(
          "The event store is in memory while the command bus ({}) reaches other processes:"
              + " every instance of service '{}' keeps events of its own, and the commands they"
              + " share go to whichever takes them. Run one instance, or use a shared store"
              + " (cqrs.store.type=couchbase).",
          commandBus.getClass().getSimpleName(),
          properties.getService());
    }
  }

  /** Whether {@code bean} is the one a {@code @Bean} method of this class made. */
  private static boolean autoConfigured(
      ConfigurableListableBeanFactory beanFactory, Object bean, Class<?> type) {
    return BeanOrigin.madeBy(beanFactory, bean, type, CqrsAutoConfiguration.class.getName());
  }

  private static <T> T required(
      ObjectProvider<T> provider, String what, String property, Object value) {
    T bean = provider.getIfUnique();
    if (bean == null) {
      throw new IllegalStateException(
          "cqrs needs "
              + what
              + " bean: "
              + property
              + "="
              + value.toString().toLowerCase(Locale.ROOT)
              + " found none"
              + (value.toString().equalsIgnoreCase("memory")
                  ? ""
                  : " (is its cqrs module, io.cqrs:cqrs-"
                      + value.toString().toLowerCase(Locale.ROOT)
                      + ", on the class path?)")
              + " or more than one"
              + " (mark one @Primary)");
    }
    return bean;
  }

  static SnapshotPolicy snapshotPolicy(CqrsProperties.Snapshots snapshots) {
    return switch (snapshots.getMode()) {
      case WHEN_SUGGESTED -> SnapshotPolicy.whenSuggested();
      case EVERY -> SnapshotPolicy.every(snapshots.getEvery());
      case NEVER -> SnapshotPolicy.never();
    };
  }

  /**
   * Every bean that implements an interceptor interface, once, in {@code @Order}: of its class, or
   * of its {@code @Bean} method. The library's interceptors are final classes without an order, so
   * the method's is the only one an application can give them; sorting the instances alone would
   * not see it (Spring's {@code orderedStream()} does, but for one type at a time, and an
   * interceptor of one type may have to run around one of another).
   */
  private static List<Object> interceptors(ConfigurableListableBeanFactory beanFactory) {
    Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Object> found = new ArrayList<>();
    INTERCEPTOR_TYPES.stream()
        .flatMap(type -> beanFactory.getBeanProvider(type).stream())
        .forEach(
            interceptor -> {
              if (seen.add(interceptor)) {
                found.add(interceptor);
              }
            });
    Map<Object, String> names = new IdentityHashMap<>();
    for (Class<?> type : INTERCEPTOR_TYPES) {
      for (String name : beanFactory.getBeanNamesForType(type)) {
        if (beanFactory.containsSingleton(name)) {
          names.putIfAbsent(beanFactory.getSingleton(name), name);
        }
      }
    }
    found.sort(
        AnnotationAwareOrderComparator.INSTANCE.withSourceProvider(
            interceptor -> orderSource(beanFactory, interceptor, names.get(interceptor))));
    return found;
  }

  /**
   * Where the order of the bean named {@code name} is declared, as Spring looks for it when it
   * orders beans it injects: its {@code @Bean} method, then the type it was declared as. Null (the
   * instance's own {@code Ordered} or class annotation) for a bean that is not a singleton.
   */
  private static Object orderSource(
      ConfigurableListableBeanFactory beanFactory, Object bean, String name) {
    if (name == null
        || !beanFactory.containsBeanDefinition(name)
        || !(beanFactory.getMergedBeanDefinition(name) instanceof RootBeanDefinition definition)) {
      return null;
    }
    List<Object> sources = new ArrayList<>(2);
    Method factoryMethod = definition.getResolvedFactoryMethod();
    if (factoryMethod != null) {
      sources.add(factoryMethod);
    }
    Class<?> targetType = definition.getTargetType();
    if (targetType != null && targetType != bean.getClass()) {
      sources.add(targetType);
    }
    return sources.toArray();
  }
}

package io.cqrs.spring;

import io.cqrs.CommandHandler;
import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.Projection;
import io.cqrs.SegmentCountMismatchException;
import io.cqrs.TrackingEventProcessor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.scope.ScopedProxyUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.ResolvableType;
import org.springframework.util.ClassUtils;

/**
 * Ties the {@link Cqrs} to the application context. When the context starts (after every bean is
 * created, in phase {@link #PHASE}, before the web server and the application's own message
 * listeners) it registers the context's {@link CommandHandler} beans (each for the command type it
 * declares), runs each {@link Projection} bean as a tracking processor named after the bean ({@code
 * cqrs.processors.<name>.*}), registers each {@link EventProcessor} bean, runs the {@link
 * CqrsConfigurer}s' {@code register}, and starts the {@link Cqrs}. When the context stops it closes
 * the {@link Cqrs} after the web server has drained its requests and stopped (the processors that
 * read the store's log, then commands, subscriptions and relay stop, in-flight work finishing; see
 * {@link Cqrs#close()}), before the store and buses are closed.
 *
 * <p>A {@link Cqrs} runs once: started again after a stop, this throws. So it takes no part in a
 * context's {@code pause()} and {@code restart()} ({@link #isPauseable()} is false): it keeps
 * running until the context stops or closes. The Spring TestContext Framework pauses a cached test
 * context while other test classes run and restarts it when a class needs it again, which otherwise
 * closed the {@link Cqrs} and then failed the restart.
 */
public class CqrsLifecycle implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(CqrsLifecycle.class);

  private final Cqrs cqrs;
  private final CqrsProperties properties;
  private final ObjectProvider<CqrsConfigurer> configurers;
  private final ConfigurableListableBeanFactory beanFactory;
  private volatile boolean running;
  private boolean started;

  /** Why the first start failed, if it did: what a start tried again says. */
  private RuntimeException failedStart;

  private final Set<String> projectionNames = new LinkedHashSet<>();
  private final Set<String> configuredInCode = new LinkedHashSet<>();
  private final Set<String> segmentsFromProperties = new LinkedHashSet<>();

  /**
   * A lifecycle for {@code cqrs}, registering what {@code beanFactory} holds.
   *
   * @param cqrs the instance to register on, start and stop
   * @param properties the processors' settings and auto-startup
   * @param configurers run after the found handlers and processors are registered
   * @param beanFactory where the handlers, projections and processors are found
   */
  public CqrsLifecycle(
      Cqrs cqrs,
      CqrsProperties properties,
      ObjectProvider<CqrsConfigurer> configurers,
      ConfigurableListableBeanFactory beanFactory) {
    this.cqrs = Objects.requireNonNull(cqrs, "cqrs");
    this.properties = Objects.requireNonNull(properties, "properties");
    this.configurers = Objects.requireNonNull(configurers, "configurers");
    this.beanFactory = Objects.requireNonNull(beanFactory, "beanFactory");
  }

  /**
   * Registers the handlers and processors and starts the {@link Cqrs}.
   *
   * @throws IllegalStateException if a handler does not declare its command type, a processor
   *     setting names no processor, or this lifecycle ran before
   */
  @Override
  public synchronized void start() {
    if (failedStart != null) {
      throw new IllegalStateException(
          "A Cqrs runs once, and its start failed: " + failedStart.getMessage(), failedStart);
    }
    if (started) {
      throw new IllegalStateException("A Cqrs runs once; it cannot be started after a stop");
    }
    started = true;
    try {
      startOnce();
    } catch (RuntimeException e) {
      failedStart = e;
      throw e;
    }
  }

  private void startOnce() {
    registerCommandHandlers();
    Set<String> processors = registerProcessors();
    cqrs.processorSettings(this::fromProperties);
    configurers.orderedStream().forEach(configurer -> configurer.register(cqrs));
    cqrs.processors().forEach(processor -> processors.add(processor.name()));
    Set<String> unknown = new LinkedHashSet<>();
    Set<String> builtElsewhere = new LinkedHashSet<>();
    for (String key : properties.getProcessors().keySet()) {
      String named = processorNamed(key, processors);
      if (named == null) {
        unknown.add(key);
      } else if (!projectionNames.contains(named) && !configuredInCode.contains(named)) {
        builtElsewhere.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalStateException(
          "cqrs.processors names no registered processor: "
              + unknown
              + "; the processors are "
              + processors);
    }
    if (!builtElsewhere.isEmpty()) {
      // Settings that would be dropped in silence: the application built these processors.
      throw new IllegalStateException(
          "cqrs.processors."
              + builtElsewhere.iterator().next()
              + ".* cannot apply: "
              + builtElsewhere
              + " is built by the application outside CqrsConfigurer.register (an EventProcessor"
              + " bean, one passed built to Cqrs.processor(EventProcessor), or one registered on"
              + " the Cqrs before the starter started it); set its segments, batch size and"
              + " failure handling on its builder, or build it in CqrsConfigurer.register with"
              + " Cqrs.processor(name, settings), which the properties reach");
    }
    refuseLocalDisagreeingWithCode();
    try {
      cqrs.start();
    } catch (IllegalStateException refused) {
      throw namingSegments(refused);
    }
    running = true;
    log.info(
        "cqrs started: service '{}', {} command type(s), {} processor(s)",
        properties.getService(),
        cqrs.commands().commandTypes().size(),
        cqrs.processors().size());
  }

  /**
   * Closes the {@link Cqrs}: in-flight commands and events finish, checkpoints are saved; for at
   * most {@code cqrs.shutdown-timeout} (see {@link Cqrs#close()}), so that a handler that does not
   * return cannot hold the application's shutdown for ever.
   */
  @Override
  public synchronized void stop() {
    if (running) {
      running = false;
      cqrs.close();
      log.info("cqrs stopped");
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Never: a pause would close the {@link Cqrs}, which cannot start again. */
  @Override
  public boolean isPauseable() {
    return false;
  }

  @Override
  public boolean isAutoStartup() {
    return properties.isAutoStartup();
  }

  /**
   * The phase of a {@link CqrsLifecycle}: below Spring Boot's web server ({@code DEFAULT_PHASE -
   * 2048} to start and stop it, {@code DEFAULT_PHASE - 1024} for its graceful shutdown) and the
   * message listener containers of the default phase, so that the {@link Cqrs} takes commands
   * before the first request can send one and goes on handling them until the last request has been
   * answered: a command accepted while the server drained was otherwise never handled (in memory,
   * where nothing else would consume it) and one sent before the start refused.
   */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

  /** {@link #PHASE}: started before, and stopped after, the web server and message listeners. */
  @Override
  public int getPhase() {
    return PHASE;
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private void registerCommandHandlers() {
    Map<Class<?>, String> handledBy = new HashMap<>();
    for (String name : candidates(CommandHandler.class)) {
      CommandHandler handler = beanFactory.getBean(name, CommandHandler.class);
      Class<?> type = commandType(name, handler);
      String other = handledBy.putIfAbsent(type, name);
      if (other != null) {
        // The dispatch manager's refusal names the command type only: which beans?
        throw new IllegalStateException(
            "Command handler beans '"
                + other
                + "' and '"
                + name
                + "' both handle "
                + type.getName()
                + ": a command type has one handler. Remove one, mark one"
                + " @Bean(autowireCandidate = false) if it is only a delegate of the other, or"
                + " handle both in one bean");
      }
      cqrs.onCommand(type, handler);
    }
  }

  /**
   * The names of the beans of {@code type} that the application would have injected: not the hidden
   * target of a scoped proxy ({@code scopedTarget.<name>}, beside the proxy itself, which would
   * otherwise be registered a second time, a projection as a second processor), nor a bean declared
   * not to be an autowire candidate.
   */
  private List<String> candidates(Class<?> type) {
    List<String> names = new ArrayList<>();
    for (String name : beanFactory.getBeanNamesForType(type)) {
      if (ScopedProxyUtils.isScopedTarget(name) || !candidate(name)) {
        continue;
      }
      names.add(name);
    }
    return names;
  }

  /**
   * Whether the bean named {@code name} takes part as a handler, projection or processor: not one
   * declared {@code autowireCandidate = false} or {@code defaultCandidate = false}, which the
   * application keeps for injection by name or qualifier only; the interceptors are found through
   * {@code getBeanProvider(type).stream()}, which skips both as well.
   */
  private boolean candidate(String name) {
    if (!beanFactory.containsBeanDefinition(name)) {
      return true; // a singleton registered as an instance: no definition to say otherwise
    }
    BeanDefinition definition = beanFactory.getMergedBeanDefinition(name);
    return definition.isAutowireCandidate()
        && !(definition instanceof AbstractBeanDefinition declared
            && !declared.isDefaultCandidate());
  }

  /** The command type of a handler bean: from its @Bean method's return type or its class. */
  private Class<?> commandType(String name, CommandHandler<?> handler) {
    Class<?> type = null;
    if (beanFactory.containsBeanDefinition(name)) {
      type =
          beanFactory
              .getMergedBeanDefinition(name)
              .getResolvableType()
              .as(CommandHandler.class)
              .resolveGeneric(0);
    }
    if (type == null) {
      type =
          ResolvableType.forClass(ClassUtils.getUserClass(handler))
              .as(CommandHandler.class)
              .resolveGeneric(0);
    }
    if (type == null || type == Object.class) {
      throw new IllegalStateException(
          "Command handler bean '"
              + name
              + "' does not declare its command type: implement CommandHandler<YourCommand> in a"
              + " class, or declare the @Bean method's return type as CommandHandler<YourCommand>");
    }
    return type;
  }

  private Set<String> registerProcessors() {
    Set<String> names = new LinkedHashSet<>();
    Map<String, String> processorBeans = new HashMap<>();
    for (String name : candidates(EventProcessor.class)) {
      EventProcessor processor = beanFactory.getBean(name, EventProcessor.class);
      cqrs.processor(processor);
      names.add(processor.name());
      processorBeans.put(processor.name(), name);
    }
    for (String name : candidates(Projection.class)) {
      String processorBean = processorBeans.get(name);
      if (processorBean != null) {
        // Cqrs's own refusal says only that the name is taken, not that the starter took it.
        throw new IllegalStateException(
            "Projection bean '"
                + name
                + "' runs as a tracking processor of that name, and EventProcessor bean '"
                + processorBean
                + "' is a processor of that name too. If the processor bean runs this"
                + " projection, declare the projection @Bean(defaultCandidate = false) and inject"
                + " it with @Qualifier(\""
                + name
                + "\"): a projection bean that takes part runs in a processor of its own as well");
      }
      Projection projection = beanFactory.getBean(name, Projection.class);
      String key = settingsKey(name);
      CqrsProperties.Processor settings =
          properties.getProcessors().getOrDefault(key, new CqrsProperties.Processor());
      cqrs.processor(
          SettingErrors.naming(
              "cqrs.processors." + key + ".",
              CqrsProperties.Processor.class,
              () -> tracking(name, projection, settings)));
      names.add(name);
      projectionNames.add(name);
    }
    if (!projectionNames.isEmpty()) {
      log.debug("Projections run as tracking processors: {}", projectionNames);
    }
    return names;
  }

  /**
   * The key of {@code cqrs.processors} that holds the settings of processor {@code name}: the name
   * as it is, or its dashed form ({@code balance-view} for a bean {@code balanceView}), as Spring
   * Boot writes property names; the name itself if neither is set.
   *
   * @throws IllegalStateException if both are set: which one applies would be left to chance
   */
  private String settingsKey(String name) {
    String dashed = DataObjectPropertyName.toDashedForm(name);
    Map<String, CqrsProperties.Processor> settings = properties.getProcessors();
    if (!dashed.equals(name) && settings.containsKey(name) && settings.containsKey(dashed)) {
      throw new IllegalStateException(
          "cqrs.processors."
              + name
              + " and cqrs.processors."
              + dashed
              + " both set processor '"
              + name
              + "': keep one");
    }
    if (settings.containsKey(dashed)) {
      return dashed;
    }
    if (settings.containsKey(name)) {
      return name;
    }
    // Only an environment variable's key: when the file sets the name or the dashed form too, the
    // binder gave that entry the variable's values, which take precedence (the same property).
    String environment = environmentForm(name);
    return settings.containsKey(environment) ? environment : name;
  }

  /**
   * The key an environment variable gives processor {@code name}: {@code
   * CQRS_PROCESSORS_BALANCEVIEW_SEGMENTS} binds to the map key {@code balanceview}, as Spring Boot
   * binds map keys from the environment in lower case, without the dashes a variable cannot hold.
   */
  private static String environmentForm(String name) {
    return DataObjectPropertyName.toDashedForm(name).replace("-", "").toLowerCase(Locale.ROOT);
  }

  /**
   * The processor a {@code cqrs.processors} key names (as it is, dashed, or as an environment
   * variable gives it), or null.
   */
  private static String processorNamed(String key, Set<String> processors) {
    if (processors.contains(key)) {
      return key;
    }
    for (String name : processors) {
      if (DataObjectPropertyName.toDashedForm(name).equals(key)
          || environmentForm(name).equals(key)) {
        return name;
      }
    }
    return null;
  }

  /**
   * Refuses {@code cqrs.processors.<name>.local} for a processor built in code whose code chose the
   * other kind: where its checkpoints live is the code's choice ({@link Cqrs#localProcessor} or
   * {@link Cqrs#processor(String, java.util.function.Consumer)}), which a property cannot turn
   * around on a built processor, and ignoring it would leave the operator believing otherwise.
   */
  private void refuseLocalDisagreeingWithCode() {
    for (EventProcessor processor : cqrs.processors()) {
      String name = processor.name();
      if (!configuredInCode.contains(name)) {
        continue;
      }
      String key = settingsKey(name);
      Boolean local = properties.getProcessors().get(key).getLocal();
      boolean isLocal = processor instanceof TrackingEventProcessor t && t.isLocal();
      if (local != null && local != isLocal) {
        throw new IllegalStateException(
            "cqrs.processors."
                + key
                + ".local="
                + local
                + " cannot apply: processor '"
                + name
                + "' is built in CqrsConfigurer.register with "
                + (isLocal ? "Cqrs.localProcessor" : "Cqrs.processor")
                + ", which chose where its checkpoints live; choose in the code ("
                + (isLocal ? "Cqrs.processor" : "Cqrs.localProcessor")
                + "), or remove the property");
      }
    }
  }

  /**
   * A projection's processor refused to start at a segment count other than the one its store fixed
   * on its first start: restated with the property that set the count, which the processor's own
   * message cannot name.
   */
  private IllegalStateException namingSegments(IllegalStateException refused) {
    if (!(refused instanceof SegmentCountMismatchException mismatch)
        || !(projectionNames.contains(mismatch.processor())
            || segmentsFromProperties.contains(mismatch.processor()))) {
      return refused;
    }
    return new IllegalStateException(
        "cqrs.processors."
            + DataObjectPropertyName.toDashedForm(mismatch.processor())
            + ".segments: "
            + mismatch.getMessage()
            + " (the count is fixed in the store by the processor's first start)",
        refused);
  }

  /**
   * Gives a processor the application builds by name in {@link CqrsConfigurer#register} ({@link
   * Cqrs#processor(String, java.util.function.Consumer)}, a process manager's way) the {@code
   * cqrs.processors} properties set for it, over what its code set: an operator tunes it as a
   * projection's.
   */
  private void fromProperties(String name, TrackingEventProcessor.Builder builder) {
    String key = settingsKey(name);
    CqrsProperties.Processor settings = properties.getProcessors().get(key);
    if (settings == null) {
      return;
    }
    configuredInCode.add(name);
    if (settings.segmentsSet()) {
      segmentsFromProperties.add(name);
    }
    SettingErrors.naming(
        "cqrs.processors." + key + ".",
        CqrsProperties.Processor.class,
        () -> apply(settings, builder));
  }

  /** The tracking processor of a projection bean, with its {@code cqrs.processors} settings. */
  private TrackingEventProcessor tracking(
      String name, Projection projection, CqrsProperties.Processor settings) {
    TrackingEventProcessor.Builder builder =
        (Boolean.TRUE.equals(settings.getLocal())
                ? EventProcessor.local(name, cqrs.store())
                : EventProcessor.tracking(name, cqrs.store()))
            .projection(projection)
            .interceptors(cqrs.interceptors());
    return apply(settings, builder).build();
  }

  /** The settings the configuration set, and only those: the builder keeps its own otherwise. */
  private static TrackingEventProcessor.Builder apply(
      CqrsProperties.Processor settings, TrackingEventProcessor.Builder builder) {
    if (settings.segmentsSet()) {
      builder.segments(settings.getSegments());
    }
    if (settings.getBatchSize() != null) {
      builder.batchSize(settings.getBatchSize());
    }
    if (settings.getClaimTtl() != null) {
      builder.claimTtl(settings.getClaimTtl());
    }
    if (settings.getMaxAttempts() != null) {
      builder.maxAttempts(settings.getMaxAttempts());
    }
    if (settings.stopOnFailureSet()) {
      builder.stopOnFailure(settings.isStopOnFailure());
    }
    if (settings.getUnreadableRetry() != null) {
      builder.unreadableRetry(settings.getUnreadableRetry());
    }
    return builder;
  }
}

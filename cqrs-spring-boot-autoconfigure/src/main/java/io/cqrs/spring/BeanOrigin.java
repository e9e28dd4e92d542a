package io.cqrs.spring;

import java.lang.reflect.Method;
import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.core.type.MethodMetadata;

/**
 * Tells an auto-configured bean from one the application declared in its place: settings that
 * describe the auto-configured bean (Spring Boot's {@code spring.rabbitmq.*}, cqrs's own {@code
 * cqrs.store.*}) say nothing of the application's own.
 */
final class BeanOrigin {
  private BeanOrigin() {}

  /**
   * Whether {@code bean}, a singleton of {@code type}, was made by a {@code @Bean} method of the
   * class named {@code declaringClass}.
   */
  static boolean madeBy(
      ConfigurableListableBeanFactory beanFactory,
      Object bean,
      Class<?> type,
      String declaringClass) {
    for (String name : beanFactory.getBeanNamesForType(type)) {
      if (beanFactory.containsSingleton(name) && beanFactory.getSingleton(name) == bean) {
        return declaringClass.equals(declaringClass(beanFactory, name));
      }
    }
    return false;
  }

  /** The class whose {@code @Bean} method made the bean named {@code name}, or null. */
  private static String declaringClass(ConfigurableListableBeanFactory beanFactory, String name) {
    BeanDefinition definition = beanFactory.getBeanDefinition(name);
    if (definition instanceof AnnotatedBeanDefinition annotated) {
      MethodMetadata method = annotated.getFactoryMethodMetadata();
      if (method != null) {
        return method.getDeclaringClassName();
      }
    }
    // Without the metadata (as in an AOT-processed application): the method it was made with.
    if (beanFactory.getMergedBeanDefinition(name) instanceof RootBeanDefinition root) {
      Method method = root.getResolvedFactoryMethod();
      if (method != null) {
        return method.getDeclaringClass().getName();
      }
    }
    return null;
  }
}

/**
 * Implementation details: convention routing and id generation. Not an API; adapters and users must
 * not depend on anything here.
 */
package io.cqrs.internal;

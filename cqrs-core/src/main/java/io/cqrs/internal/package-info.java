/**
 * Implementation details: convention routing, id generation and the envelopes' instant text. Not an
 * API; adapters and users must not depend on anything here.
 */
package io.cqrs.internal;

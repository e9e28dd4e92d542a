package io.cqrs;

/**
 * A message or stored event at a revision of its type newer than this application knows: a newer
 * version of the application wrote it (during a rolling deployment, say). Nothing was read of it;
 * once every process runs a version that knows the revision, it reads. A RabbitMQ bus dead-letters
 * such a message as {@code newer-revision}, to be replayed after the deployment.
 */
public class NewerRevisionException extends SerializationException {
  private static final long serialVersionUID = 1L;

  private final String typeName;
  private final int revision;
  private final int knownRevision;

  public NewerRevisionException(String typeName, int revision, int knownRevision) {
    super(
        typeName
            + " at revision "
            + revision
            + " was written by a newer version of the application: this one knows revision "
            + knownRevision);
    this.typeName = typeName;
    this.revision = revision;
    this.knownRevision = knownRevision;
  }

  /** The type's registered name. */
  public String typeName() {
    return typeName;
  }

  /** The revision the message was written at. */
  public int revision() {
    return revision;
  }

  /** The newest revision this application knows: the type's {@code @TypeName} revision. */
  public int knownRevision() {
    return knownRevision;
  }
}

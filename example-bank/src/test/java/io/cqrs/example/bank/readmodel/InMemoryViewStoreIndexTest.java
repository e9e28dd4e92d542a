package io.cqrs.example.bank.readmodel;

import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;

/** {@link ViewStoreIndexContract} on the in-memory store. */
class InMemoryViewStoreIndexTest extends ViewStoreIndexContract {
  @Override
  ViewStore<AccountView> store() {
    return new InMemoryViewStore<>();
  }
}

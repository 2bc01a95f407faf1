// NoDestructor<T>: a T that is constructed in place and never destroyed, for
// function-local statics that must stay usable during static destruction (the
// logger, SystemClock::Default()), without a bare `new`.
//
//   const Table& DefaultTable() {
//     static const NoDestructor<Table> table(kInitialEntries);
//     return *table;
//   }
//
// Thread safety: that of T; construction of a function-local static is thread-safe.

#pragma once

#include <new>
#include <utility>

namespace lts {

template <typename T>
class NoDestructor {
 public:
  template <typename... Args>
  explicit NoDestructor(Args&&... args) {
    new (&storage_.value) T(std::forward<Args>(args)...);
  }
  NoDestructor(const NoDestructor&) = delete;
  NoDestructor& operator=(const NoDestructor&) = delete;
  // Deliberately leaves the T alive.
  ~NoDestructor() {}

  T* get() { return &storage_.value; }
  const T* get() const { return &storage_.value; }
  T& operator*() { return *get(); }
  const T& operator*() const { return *get(); }
  T* operator->() { return get(); }
  const T* operator->() const { return get(); }

 private:
  // A union member is neither constructed nor destroyed implicitly.
  union Storage {
    Storage() {}
    ~Storage() {}
    T value;
  } storage_;
};

}  // namespace lts

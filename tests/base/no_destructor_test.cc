#include "base/no_destructor.h"

#include <gtest/gtest.h>

#include <string>

namespace lts {
namespace {

class CountsDestruction {
 public:
  explicit CountsDestruction(int* destroyed) : destroyed_(destroyed) {}
  ~CountsDestruction() { ++*destroyed_; }
  int value() const { return 5; }

 private:
  int* destroyed_;
};

TEST(NoDestructorTest, ConstructsInPlaceWithTheGivenArguments) {
  const NoDestructor<std::string> text(3, 'x');
  EXPECT_EQ("xxx", *text);
  EXPECT_EQ(3u, text->size());
}

TEST(NoDestructorTest, NeverRunsTheDestructor) {
  int destroyed = 0;
  {
    NoDestructor<CountsDestruction> object(&destroyed);
    EXPECT_EQ(5, object->value());
  }
  EXPECT_EQ(0, destroyed);
}

TEST(NoDestructorTest, AllowsMutation) {
  NoDestructor<std::string> text("a");
  *text += "b";
  text->push_back('c');
  EXPECT_EQ("abc", *text.get());
}

}  // namespace
}  // namespace lts

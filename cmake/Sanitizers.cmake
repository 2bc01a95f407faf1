# -DLTS_SANITIZE=ON builds everything with ASan + UBSan (scripts/test.sh does this for the
# second run of the unit tests). UBSan findings abort so that ctest sees them.
if(LTS_SANITIZE)
  set(_lts_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${_lts_san})
  add_link_options(-fsanitize=address,undefined)
endif()

# -DLTS_SANITIZE_THREAD=ON builds with ThreadSanitizer (scripts/test.sh's tsan phase runs
# the concurrent modules' tests with it).
option(LTS_SANITIZE_THREAD "Build with ThreadSanitizer" OFF)
if(LTS_SANITIZE_THREAD)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

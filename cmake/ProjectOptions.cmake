# referrals_target_options(<target>): the project's warnings, applied per target
# so generated code can stay outside them.
function(referrals_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  # GCC 12 at -O3 reports -Wrestrict inside libstdc++'s own std::string
  # copies (GCC bug 105329, a false positive); keep it a warning there.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-error=restrict)
  endif()
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR})
endfunction()

# referrals_library(NAME SRCS ... DEPS ...): a small static library.
function(referrals_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  referrals_target_options(${name})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# referrals_test(NAME SRCS ... DEPS ... LABELS ...): one test binary per file,
# each test case registered with CTest under the given labels.
function(referrals_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  referrals_target_options(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} referrals_test_support
                        GTest::gmock GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}"
    DISCOVERY_TIMEOUT 30)
endfunction()

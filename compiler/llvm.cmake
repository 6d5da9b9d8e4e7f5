# LLVM for codegen/jit/aot only: the shared libLLVM (one .so, fast links on a small machine).
if(NOT TARGET lbc_llvm)
  add_library(lbc_llvm INTERFACE)
  target_include_directories(lbc_llvm SYSTEM INTERFACE ${LLVM_INCLUDE_DIRS})
  separate_arguments(_lbc_llvm_defs NATIVE_COMMAND "${LLVM_DEFINITIONS}")
  target_compile_options(lbc_llvm INTERFACE ${_lbc_llvm_defs})
  target_link_libraries(lbc_llvm INTERFACE LLVM)
endif()

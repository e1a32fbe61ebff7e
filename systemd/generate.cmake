# Generates the files that name installed paths, for one installation prefix (cmake -P or include()):
#   DC_SOURCE_DIR  the source tree              DC_OUT          where the files go
#   DC_PREFIX      the installation prefix      DC_SBINDIR      sbin dir, relative to DC_PREFIX or absolute
#   DC_SYSCONFDIR, DC_UNIT_DIR, DC_CATALOG_DIR  absolute
# It writes DC_OUT/dockerclean.service, DC_OUT/notify-reload.conf (a drop-in), DC_OUT/dockercleand.8(.gz), DC_OUT/dockerclean.conf.5(.gz)
# and DC_OUT/changelog.gz; the .gz files are what gets installed (gzip -9n: no name, no time stamp).
foreach(v DC_SOURCE_DIR DC_OUT DC_PREFIX DC_SBINDIR DC_SYSCONFDIR DC_UNIT_DIR DC_CATALOG_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "generate.cmake: ${v} is not set")
  endif()
endforeach()
if(IS_ABSOLUTE "${DC_SBINDIR}")
  set(DOCKERCLEAN_SBINDIR "${DC_SBINDIR}")
else()
  set(DOCKERCLEAN_SBINDIR "${DC_PREFIX}/${DC_SBINDIR}")
endif()
set(DOCKERCLEAN_SYSCONFDIR "${DC_SYSCONFDIR}")
set(DOCKERCLEAN_UNIT_DIR "${DC_UNIT_DIR}")
set(DOCKERCLEAN_CATALOG_DIR "${DC_CATALOG_DIR}")

configure_file("${DC_SOURCE_DIR}/systemd/dockerclean.service.in" "${DC_OUT}/dockerclean.service" @ONLY)
configure_file("${DC_SOURCE_DIR}/systemd/notify-reload.conf.in" "${DC_OUT}/notify-reload.conf" @ONLY)
foreach(page dockercleand.8 dockerclean.conf.5)
  configure_file("${DC_SOURCE_DIR}/man/${page}.in" "${DC_OUT}/${page}" @ONLY)
endforeach()
foreach(f "${DC_OUT}/dockercleand.8" "${DC_OUT}/dockerclean.conf.5" "${DC_SOURCE_DIR}/systemd/debian/changelog")
  get_filename_component(name "${f}" NAME)
  execute_process(COMMAND gzip -9n -c "${f}" OUTPUT_FILE "${DC_OUT}/${name}.gz" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "generate.cmake: gzip ${f} failed")
  endif()
endforeach()

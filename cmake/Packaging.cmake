# Debian package (CPack): `cpack -G DEB` in the build directory (or `cmake --build build
# --target package`) writes shepgw_<version>-1_<arch>.deb. Layout and rationale:
# docs/deployment.md. Binaries come from the install() rules next to their targets
# (src/app: /usr/bin/shepgw; src/standin: /usr/lib/shepgw/shep-standin, a test/demo tool kept
# off $PATH).
#
# The unit and the configuration are installed at absolute paths (/lib/systemd/system,
# /etc/shepgw): that is where a Debian system wants them whatever the prefix, so a plain
# `cmake --install` also writes there.

set(SHEPGW_DEB_DIR ${CMAKE_CURRENT_LIST_DIR}/debian)

install(FILES ${PROJECT_SOURCE_DIR}/config/shepgw.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/config/shepgw.example.yaml DESTINATION /etc/shepgw
        RENAME shepgw.yaml PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/shepgw)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION share/doc/shepgw RENAME copyright)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION share/doc/shepgw
        FILES_MATCHING PATTERN "*.md")
install(FILES ${PROJECT_SOURCE_DIR}/config/shepgw.example.yaml
              ${PROJECT_SOURCE_DIR}/docs/grafana-dashboard.json
        DESTINATION share/doc/shepgw/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME shepgw)
set(CPACK_PACKAGE_VENDOR "shepgw contributors")
set(CPACK_PACKAGE_CONTACT "shepgw maintainers <shepgw@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "external gateway for Kazakhstan's e-government service bus (ShEP)")
set(CPACK_PACKAGE_DESCRIPTION
    "shepgw terminates TLS for external information systems calling the e-government service\n\
bus, checks their SOAP SendMessage requests (hardened XML parsing, WS-Security signatures\n\
against the national CA, sender authorisation), routes them by serviceId to the internal\n\
ShEP and returns the answer signed, or a precise SOAP fault. Runs as a hardened systemd\n\
service with health, readiness and Prometheus metrics on a loopback admin listener.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/shepgw/shepgw")
# Shared-library dependencies are computed by dpkg-shlibdeps (package dpkg-dev); the rest are
# what the maintainer scripts and the unit call: adduser (postinst), procps (/bin/kill in
# ExecReload).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, curl")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SHEPGW_DEB_DIR}/conffiles ${SHEPGW_DEB_DIR}/postinst ${SHEPGW_DEB_DIR}/prerm
    ${SHEPGW_DEB_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

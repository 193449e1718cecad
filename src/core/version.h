/*
 * NAME
 *   version - the one place Portcullis's version is written
 */
#ifndef PC_CORE_VERSION_H
#define PC_CORE_VERSION_H

#define PC_VERSION "0.1.0"

#endif

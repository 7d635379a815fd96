// Open MPI's C API (Debian: libopenmpi-dev; pkg-config ompi-c).
// Open MPI's handles (MPI_COMM_WORLD, MPI_BYTE, ...) are macros over addresses of globals,
// which Swift cannot import: these functions hand them over.
#include <mpi.h>

static inline MPI_Comm nabla_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype nabla_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Errhandler nabla_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int nabla_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int nabla_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int nabla_mpi_success(void) { return MPI_SUCCESS; }
static inline int nabla_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline MPI_Datatype nabla_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype nabla_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op nabla_mpi_sum(void) { return MPI_SUM; }
static inline void *nabla_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *nabla_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

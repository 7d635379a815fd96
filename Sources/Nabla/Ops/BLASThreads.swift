import CBLAS

/// The number of threads OpenBLAS runs its matrix products on, for the whole process.
///
/// Convolutions split a batch over the cores themselves and run their products single-threaded
/// (`SingleThreadedBLAS`); in a network of convolutions, setting this to 1 for the run saves the
/// switch back to several threads after every convolution, whose woken OpenBLAS workers spin on
/// the cores the next convolution needs.
public enum BLASThreads {
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(Swift.max(1, newValue))) }
    }
}

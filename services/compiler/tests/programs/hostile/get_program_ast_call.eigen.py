from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    h(0)
    tree = get_program_ast(p)

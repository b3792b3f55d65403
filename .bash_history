cd /work/wt/editor && export PS1='$ ' PATH=/work/main/.venv/bin:$PATH PYTHONPATH=/work/wt/editor
clear
labeler score examples/news_isis_executions.txt
cd /work/wt/editor && export PS1='$ ' PATH=/work/main/.venv/bin:$PATH PYTHONPATH=/work/wt/editor
clear
labeler score examples/news_isis_executions.txt
cd /work/wt/editor && export PS1='$ ' PATH=/work/main/.venv/bin:$PATH PYTHONPATH=/work/wt/editor
clear
labeler score examples/news_isis_executions.txt

from examples.emotivoice_service.service import main

main()
